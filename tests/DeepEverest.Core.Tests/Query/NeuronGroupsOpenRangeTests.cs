using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Planning;

namespace DeepEverest.Core.Tests.Query;

/// <summary>An open range (a null end) resolves to the dimension's end: "rect:5,*,*" needs no shape.</summary>
public sealed class NeuronGroupsOpenRangeTests
{
    private static readonly long[] _shape = [4, 3, 2];

    [Fact]
    public void Resolve_OpenEnds_SameNeuronsAsTheClosedRectangle()
    {
        var open = new GroupSpec.Rectangle([(1, 2), (0, null), (1, null)]);
        var closed = new GroupSpec.Rectangle([(1, 2), (0, 3), (1, 2)]);

        int[] resolved = NeuronGroups.Resolve(open, _shape, []);

        Assert.Equal(NeuronGroups.Resolve(closed, _shape, []), resolved);
        Assert.Equal([7, 9, 11], resolved);
    }

    [Fact]
    public void Resolve_OpenEndFromPastTheDimension_InvalidNamingTheDimensionEnd()
    {
        var spec = new GroupSpec.Rectangle([(4, null), (0, null), (0, null)]);

        var e = Assert.Throws<DeepEverestException>(() => NeuronGroups.Resolve(spec, _shape, []));

        Assert.Contains("group.rectangle.ranges[0] [4, end of dimension = 4) must be non-empty", e.Message, StringComparison.Ordinal);
    }
}
