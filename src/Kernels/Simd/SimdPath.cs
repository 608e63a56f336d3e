namespace DeepEverest.Kernels.Simd;

/// <summary>The vector width a <see cref="SimdKernels"/> instance runs its loops with.</summary>
internal enum SimdPath
{
    /// <summary>No vectors: scalar loops only (what runs under <c>DOTNET_EnableHWIntrinsic=0</c>).</summary>
    Scalar = 0,

    /// <summary><see cref="System.Numerics.Vector{T}"/> of the JIT's preferred width.</summary>
    VectorT = 1,

    /// <summary><see cref="System.Runtime.Intrinsics.Vector256{T}"/> (AVX2 gathers where present).</summary>
    Vector256 = 2,

    /// <summary><see cref="System.Runtime.Intrinsics.Vector512{T}"/> (AVX-512 permutes where present).</summary>
    Vector512 = 3,
}
