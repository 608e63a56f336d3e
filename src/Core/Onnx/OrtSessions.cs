using Microsoft.ML.OnnxRuntime;

namespace DeepEverest.Core.Onnx;

/// <summary>
/// Creates and runs ONNX Runtime sessions, turning runtime failures on a user's model into
/// <see cref="DeepEverestException"/>s that say what to do.
/// </summary>
internal static class OrtSessions
{
    /// <summary>Creates a session over an in-memory model; <paramref name="options"/> stays owned by the caller.</summary>
    public static InferenceSession Create(byte[] modelBytes, SessionOptions options)
    {
        // Warnings such as "initializer X appears in graph inputs" are routine for exported models and
        // would flood service logs; real problems surface as exceptions.
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        try
        {
            return new InferenceSession(modelBytes, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new DeepEverestException(
                ErrorKind.InvalidArgument,
                $"ONNX Runtime cannot load the model ({ex.Message}); check that it runs in ONNX Runtime 1.31 "
                + "with the CPU provider and uses opset 7 or newer",
                ex);
        }
    }

    /// <summary>Runs <paramref name="run"/>, reporting a runtime failure as an invalid model.</summary>
    public static T Run<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (OnnxRuntimeException ex)
        {
            throw new DeepEverestException(
                ErrorKind.InvalidArgument,
                $"ONNX Runtime failed to run the model ({ex.Message}); check that it runs on a batch of "
                + "inputs of its declared shape",
                ex);
        }
    }
}
