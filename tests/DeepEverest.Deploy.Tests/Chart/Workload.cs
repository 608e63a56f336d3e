using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>A rendered Deployment or StatefulSet, reduced to what the checks need.</summary>
/// <param name="Kind">Deployment or StatefulSet.</param>
/// <param name="Name">Its name.</param>
/// <param name="Replicas">Its replica count.</param>
/// <param name="Selector">Its pod selector.</param>
/// <param name="Template">Its pod template.</param>
internal sealed record Workload(string Kind, string Name, int Replicas, V1LabelSelector Selector, V1PodTemplateSpec Template)
{
    /// <summary>The pod template's labels.</summary>
    public IDictionary<string, string> PodLabels => Template.Metadata.Labels;

    /// <summary>The pod spec.</summary>
    public V1PodSpec Pod => Template.Spec;

    /// <summary>The container called <paramref name="name"/>, or null.</summary>
    public V1Container? Container(string name) => Pod.Containers.SingleOrDefault(c => c.Name == name);

    /// <summary>The pod volume called <paramref name="name"/>.</summary>
    public V1Volume Volume(string name) =>
        Pod.Volumes.SingleOrDefault(v => v.Name == name) ?? throw new InvalidOperationException($"{Name} has no volume '{name}'");
}
