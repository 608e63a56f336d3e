using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>A rendered Deployment or StatefulSet, reduced to what the checks need.</summary>
/// <param name="Kind">Deployment or StatefulSet.</param>
/// <param name="Name">Its name.</param>
/// <param name="Replicas">Its replica count.</param>
/// <param name="Selector">Its pod selector.</param>
/// <param name="Template">Its pod template.</param>
/// <param name="ClaimTemplates">A StatefulSet's volumeClaimTemplates (a claim per pod); empty otherwise.</param>
internal sealed record Workload(string Kind, string Name, int Replicas, V1LabelSelector Selector, V1PodTemplateSpec Template, IReadOnlyList<V1PersistentVolumeClaim> ClaimTemplates)
{
    /// <summary>The pod template's labels.</summary>
    public IDictionary<string, string> PodLabels => Template.Metadata.Labels;

    /// <summary>The pod spec.</summary>
    public V1PodSpec Pod => Template.Spec;

    /// <summary>The container called <paramref name="name"/>, or null.</summary>
    public V1Container? Container(string name) => Pod.Containers.SingleOrDefault(c => c.Name == name);

    /// <summary>
    /// The claim behind the volume called <paramref name="name"/>: a pod volume's claim name, or the
    /// name of the claim template of that name (each pod then has a claim of its own); null when the
    /// volume is no claim.
    /// </summary>
    public string? ClaimOf(string name) =>
        ClaimTemplates.Any(t => t.Metadata.Name == name) ? name : Volume(name).PersistentVolumeClaim?.ClaimName;

    /// <summary>The pod volume called <paramref name="name"/>.</summary>
    public V1Volume Volume(string name) =>
        Pod.Volumes.SingleOrDefault(v => v.Name == name) ?? throw new InvalidOperationException($"{Name} has no volume '{name}'");
}
