namespace DeepEverest.Bench;

/// <summary>Options of a benchmark that builds its stores in a data root of its own.</summary>
public interface IDataRootOptions
{
    /// <summary>Directory of the run's data and stores (deleted at the end unless <see cref="KeepData"/>).</summary>
    string DataRoot { get; }

    /// <summary>Keep <see cref="DataRoot"/> after the run.</summary>
    bool KeepData { get; }

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    void Validate();
}
