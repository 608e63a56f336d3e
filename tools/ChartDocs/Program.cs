using DeepEverest.ChartDocs;

// chart-docs <chart folder> [--check]: writes the values table of <chart>/README.md from the
// `# --` comments of <chart>/values.yaml; with --check, only says whether it is up to date.
// Exit codes: 0 done (or up to date), 1 stale (--check), 2 undocumented values or bad usage.
if (args.Length is < 1 or > 2 || (args.Length == 2 && args[1] != "--check"))
{
    Console.Error.WriteLine("usage: chart-docs <chart folder> [--check]");
    return 2;
}

string chart = args[0];
bool check = args.Length == 2;
ChartValues values = ChartValuesReader.Read(File.ReadAllText(Path.Combine(chart, "values.yaml")));
foreach (string problem in values.Problems)
{
    Console.Error.WriteLine($"values.yaml: {problem}");
}

if (values.Problems.Count > 0)
{
    return 2;
}

string readmePath = Path.Combine(chart, "README.md");
string readme = File.ReadAllText(readmePath);
string updated = ValuesTable.Replace(readme, ValuesTable.Render(values.Values));
if (updated == readme)
{
    Console.WriteLine($"{readmePath}: values table up to date ({values.Values.Count} values)");
    return 0;
}

if (check)
{
    Console.Error.WriteLine($"{readmePath}: values table is stale; run `make chart-docs`");
    return 1;
}

File.WriteAllText(readmePath, updated);
Console.WriteLine($"{readmePath}: values table written ({values.Values.Count} values)");
return 0;
