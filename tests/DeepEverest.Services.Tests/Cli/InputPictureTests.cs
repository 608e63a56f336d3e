using DeepEverest.Cli;
using DeepEverest.Contracts.V1;

namespace DeepEverest.Services.Tests.Cli;

/// <summary>Images are drawn within the terminal's width, whatever their size.</summary>
public sealed class InputPictureTests
{
    [Fact]
    public void Write_Large3ChannelImage_FitsTheTerminal()
    {
        var tensor = new Tensor();
        tensor.Shape.AddRange([3, 224, 224]);
        // A bright square in the middle on a dark ground, in every channel.
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 224; y++)
            {
                for (int x = 0; x < 224; x++)
                {
                    tensor.Values.Add(x is >= 56 and < 168 && y is >= 56 and < 168 ? 200f - c : -100f);
                }
            }
        }

        using var output = new StringWriter();
        InputPicture.Write(output, tensor, 80);

        string[] lines = output.ToString().Replace("\r", "", StringComparison.Ordinal).Split('\n')[..^1];
        // Blocks of 6x6 pixels: 38 rows of at most 76 columns.
        Assert.Equal(38, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns"));
        // The square is drawn with the brightest character, the ground blank.
        Assert.Contains('@', lines[19]);
        Assert.Equal("", lines[0]);
    }

    [Fact]
    public void Write_SmallImage_OneCharacterPairPerPixel()
    {
        var tensor = new Tensor();
        tensor.Shape.AddRange([1, 28, 28]);
        tensor.Values.AddRange(Enumerable.Range(0, 784).Select(i => (float)(i % 28)));
        using var output = new StringWriter();
        InputPicture.Write(output, tensor, 80);

        string[] lines = output.ToString().Replace("\r", "", StringComparison.Ordinal).Split('\n')[..^1];
        Assert.Equal(28, lines.Length);
        Assert.Equal(56, lines[0].Length);
    }
}
