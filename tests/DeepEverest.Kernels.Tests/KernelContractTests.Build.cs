namespace DeepEverest.Kernels.Tests;

public abstract partial class KernelContractTests
{
    [KernelFact]
    public void BuildNeuronBlock_EveryShortLengthAndPartitionCount_MatchesReference()
    {
        var rng = new Random(41);
        int[] partitionCounts = IsEmulator ? [2, 8, 32, 256] : PartitionCounts;
        foreach (int n in ShortRange)
        {
            foreach (int partitions in partitionCounts)
            {
                foreach (int mai in new[] { 0, 1, n }.Distinct())
                {
                    DataShape shape = (DataShape)(n % 3);
                    CheckBuild(TestData.Activations(rng, 2 * n, shape), 2, n, partitions, mai, $"n={n} P={partitions} mai={mai} {shape}");
                }
            }
        }
    }

    [KernelFact]
    public void BuildNeuronBlock_ManyTiesAndSignedZeros_MatchesReference()
    {
        var rng = new Random(42);
        int n = IsEmulator ? 61 : 1003;
        foreach (DataShape shape in Enum.GetValues<DataShape>())
        {
            foreach (int partitions in new[] { 8, 32 })
            {
                CheckBuild(TestData.Activations(rng, 3 * n, shape), 3, n, partitions, n / 20, $"{shape} P={partitions}");
            }
        }
    }

    [KernelFact]
    public void BuildNeuronBlock_LargeBlock_MatchesReference()
    {
        // neurons x n above the parallel threshold.
        var rng = new Random(43);
        int n = LargeInputs;
        int neurons = IsEmulator ? 2 : 16;
        CheckBuild(TestData.Activations(rng, neurons * n, DataShape.Relu), neurons, n, 16, n / 100, "large relu");
    }

    [KernelFact]
    public void BuildNeuronBlock_ZerosFillingPartitions_ShareOneCodeAndLeaveTheRestEmpty()
    {
        // 15 inputs, P = 4, no MAI: equi-depth partitions 1..3 of 5 ranks. Ids 0-3 are positive
        // (4, 3, 2, 1) and the 11 others zero (-0.0 at id 9), so ranks 4..14 are zeros: they fill
        // partitions 2 and 3 and end partition 1.
        float[] column = [4, 3, 2, 1, 0, 0, 0, 0, 0, -0f, 0, 0, 0, 0, 0];
        var codes = new byte[CodeLayout.StrideBytes(15, 2)];
        var partMin = new float[4];
        var partMax = new float[4];

        Kernels.BuildNeuronBlock(column, 1, 15, 4, 0, [], [], codes, partMin, partMax);

        int[] unpacked = [.. Enumerable.Range(0, 15).Select(i => (codes[i / 4] >> (2 * (i % 4))) & 3)];
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], unpacked);
        Assert.Equal((1f, 4f), (partMin[1], partMax[1]));
        Assert.Equal((0f, 0f), (partMin[2], partMax[2]));
        Assert.Equal((float.PositiveInfinity, float.NegativeInfinity), (partMin[3], partMax[3]));
        Assert.Equal((float.PositiveInfinity, float.NegativeInfinity), (partMin[0], partMax[0]));
    }

    [KernelFact]
    public void BuildNeuronBlock_NonFiniteActivation_ThrowsNamingNeuronAndInput()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] columns = new float[3 * 10];
            columns[(2 * 10) + 7] = bad;
            var partMin = new float[3 * 4];
            var ex = Assert.Throws<ArgumentException>(() => Kernels.BuildNeuronBlock(
                columns, 3, 10, 4, 1, new int[3], new float[3], new byte[3 * 3], partMin, new float[3 * 4]));
            Assert.Contains("neuron 2", ex.Message, StringComparison.Ordinal);
            Assert.Contains("input 7", ex.Message, StringComparison.Ordinal);
            Assert.All(partMin, v => Assert.Equal(0f, v)); // refused before writing anything
        }
    }

    [KernelFact]
    public void BuildNeuronBlock_MaiLargerThanInputs_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.BuildNeuronBlock(
            new float[5], 1, 5, 4, 6, new int[6], new float[6], new byte[2], new float[4], new float[4]));
    }

    private void CheckBuild(float[] columns, int neurons, int n, int partitions, int mai, string context)
    {
        BuiltBlock expected = ScalarReference.BuildNeuronBlock(columns, neurons, n, partitions, mai);
        var actual = new BuiltBlock(
            new int[expected.MaiIds.Length],
            new float[expected.MaiValues.Length],
            new byte[expected.Codes.Length],
            new float[expected.PartMin.Length],
            new float[expected.PartMax.Length]);
        Kernels.BuildNeuronBlock(columns, neurons, n, partitions, mai, actual.MaiIds, actual.MaiValues, actual.Codes, actual.PartMin, actual.PartMax);
        BitAssert.Equal<int>(expected.MaiIds, actual.MaiIds, context + " MAI ids");
        BitAssert.Equal(expected.MaiValues, actual.MaiValues, context + " MAI values");
        BitAssert.Equal<byte>(expected.Codes, actual.Codes, context + " codes");
        BitAssert.Equal(expected.PartMin, actual.PartMin, context + " partition min");
        BitAssert.Equal(expected.PartMax, actual.PartMax, context + " partition max");
    }
}
