using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DeepEverest.Deploy.Tests.Chart;
using DeepEverest.Deploy.Tests.Infrastructure;
using k8s.Models;

namespace DeepEverest.Deploy.Tests.Images;

/// <summary>
/// One rendered pod template run under podman the way a kubelet would run it: a podman pod (one
/// network namespace for its containers), each container with the manifest's image, args, env,
/// volume mounts, user and group, read-only root filesystem (and nothing else writable), dropped
/// capabilities, no privilege escalation and memory limit. Persistent volume claims (and a
/// StatefulSet's claim templates, by template name) map to host folders the caller provides (shared
/// between pods, as a ReadWriteMany volume is), emptyDirs to fresh folders of this pod, environment
/// taken from a Secret to the caller's Secret contents. Every container port is published on
/// 127.0.0.1 at a free port; pods reach each other on podman's network by the host names the caller
/// maps (as a headless Service's DNS would).
/// </summary>
internal sealed partial class PodmanPod : IAsyncDisposable
{
    private readonly Dictionary<int, int> _hostPorts = [];

    private PodmanPod(string name, Workload workload)
    {
        Name = name;
        Workload = workload;
    }

    /// <summary>The podman pod's name; its containers are <c>&lt;name&gt;-&lt;container&gt;</c>.</summary>
    public string Name { get; }

    /// <summary>The workload whose pod template this runs.</summary>
    public Workload Workload { get; }

    /// <summary>
    /// Starts the pod of <paramref name="workload"/>. <paramref name="claims"/> maps each claim name
    /// to its host folder; emptyDirs and the files of secret volumes are made under
    /// <paramref name="scratchRoot"/>, the latter from <paramref name="secrets"/> (secret name, then
    /// key, to content, as a Secret's data). <paramref name="hosts"/> maps host names to other pods'
    /// addresses (<see cref="AddressAsync"/>); <paramref name="extraEnv"/> is what a controller adds
    /// to every container (a Job's JOB_COMPLETION_INDEX).
    /// </summary>
    public static async Task<PodmanPod> StartAsync(
        string name,
        Workload workload,
        IReadOnlyDictionary<string, string> claims,
        string scratchRoot,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, byte[]>>? secrets = null,
        IReadOnlyDictionary<string, string>? hosts = null,
        IReadOnlyDictionary<string, string>? extraEnv = null)
    {
        var pod = new PodmanPod(name, workload);
        V1PodSpec spec = workload.Pod;
        long user = spec.SecurityContext?.RunAsUser ?? throw new InvalidOperationException("the pod sets no runAsUser");
        long group = spec.SecurityContext.RunAsGroup ?? user;
        long? fsGroup = spec.SecurityContext.FsGroup;

        var create = new List<string> { "pod", "create", "--name", name };
        foreach (V1ContainerPort port in spec.Containers.SelectMany(c => c.Ports ?? []))
        {
            create.AddRange(["-p", $"127.0.0.1::{port.ContainerPort}"]);
        }

        foreach ((string host, string address) in hosts ?? new Dictionary<string, string>())
        {
            create.AddRange(["--add-host", $"{host}:{address}"]);
        }

        await Podman.RunCheckedAsync([.. create]);
        try
        {
            Dictionary<string, string> volumes = MakeVolumes(workload, claims, secrets, Path.Combine(scratchRoot, name), user, fsGroup ?? group);
            foreach (V1Container container in spec.Containers)
            {
                await Podman.RunCheckedAsync([.. RunArguments(name, container, volumes, user, group, fsGroup, secrets, extraEnv)]);
            }

            if (spec.Containers.Any(c => c.Ports is { Count: > 0 }))
            {
                foreach ((int containerPort, int hostPort) in await ReadPortsAsync(spec.Containers[0], name))
                {
                    pod._hostPorts[containerPort] = hostPort;
                }
            }
        }
        catch
        {
            await pod.DisposeAsync();
            throw;
        }

        return pod;
    }

    /// <summary>The loopback URL of the container port called <paramref name="portName"/>.</summary>
    public Uri Url(string portName, string scheme = "http")
    {
        V1ContainerPort port = Workload.Pod.Containers.SelectMany(c => c.Ports).Single(p => p.Name == portName);
        return new Uri($"{scheme}://127.0.0.1:{_hostPorts[port.ContainerPort]}");
    }

    /// <summary>The container's log (stdout and stderr).</summary>
    public async Task<string> LogsAsync(string container)
    {
        ProcessResult logs = await Podman.RunAsync(["logs", $"{Name}-{container}"]);
        return logs.Stdout + logs.Stderr;
    }

    /// <summary>
    /// Stops a container as the kubelet does once its preStop hook is done: SIGTERM, then SIGKILL
    /// after <paramref name="grace"/>. Returns its exit code and how long it took to exit.
    /// </summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)> StopAsync(string container, TimeSpan grace)
    {
        var clock = Stopwatch.StartNew();
        await Podman.RunCheckedAsync("stop", "--time", ((int)Math.Ceiling(grace.TotalSeconds)).ToString(CultureInfo.InvariantCulture), $"{Name}-{container}");
        TimeSpan elapsed = clock.Elapsed;
        string code = await Podman.RunCheckedAsync("inspect", "--format", "{{.State.ExitCode}}", $"{Name}-{container}");
        return (int.Parse(code.Trim(), CultureInfo.InvariantCulture), elapsed);
    }

    /// <summary>The pod's address on podman's network, where other pods reach its container ports.</summary>
    public async Task<string> AddressAsync()
    {
        string address = await Podman.RunCheckedAsync("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", $"{Name}-{Workload.Pod.Containers[0].Name}");
        return string.IsNullOrWhiteSpace(address) ? throw new InvalidOperationException($"pod {Name} has no network address") : address.Trim();
    }

    /// <summary>Waits until a container exits (a Job's task); returns its exit code.</summary>
    public async Task<int> WaitExitAsync(string container, TimeSpan timeout)
    {
        ProcessResult result = await Podman.RunAsync(["wait", $"{Name}-{container}"], timeout);
        return int.Parse(result.EnsureSuccess($"podman wait {Name}-{container}").Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Removes the pod and its containers.</summary>
    public async ValueTask DisposeAsync() => await Podman.RunAsync(["pod", "rm", "--force", Name]);

    private static Dictionary<string, string> MakeVolumes(
        Workload workload,
        IReadOnlyDictionary<string, string> claims,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, byte[]>>? secrets,
        string scratch,
        long user,
        long group)
    {
        var volumes = new Dictionary<string, string>();
        foreach (V1PersistentVolumeClaim template in workload.ClaimTemplates)
        {
            volumes[template.Metadata.Name] = claims[template.Metadata.Name];
        }

        foreach (V1Volume volume in workload.Pod.Volumes ?? [])
        {
            if (volume.PersistentVolumeClaim is { } claim)
            {
                volumes[volume.Name] = claims[claim.ClaimName];
            }
            else if (volume.EmptyDir is not null)
            {
                string folder = Path.Combine(scratch, volume.Name);
                Directory.CreateDirectory(folder);

                // An emptyDir belongs to the pod's fsGroup and is group-writable (setgid).
                Tool("chown", "-R", $"{user}:{group}", folder);
                Tool("chmod", "2770", folder);
                volumes[volume.Name] = folder;
            }
            else if (volume.Secret is { } secret)
            {
                // As the kubelet writes a secret volume: one file per item (or key), mode 0644.
                IReadOnlyDictionary<string, byte[]> data = secrets?.GetValueOrDefault(secret.SecretName)
                    ?? throw new InvalidOperationException($"volume {volume.Name}: no content given for Secret {secret.SecretName}");
                string folder = Path.Combine(scratch, volume.Name);
                Directory.CreateDirectory(folder);
                foreach ((string key, string path) in secret.Items?.Select(i => (i.Key, i.Path)) ?? data.Keys.Select(k => (k, k)))
                {
                    File.WriteAllBytes(Path.Combine(folder, path), data[key]);
                    Tool("chmod", "0644", Path.Combine(folder, path));
                }

                Tool("chmod", "0755", folder);
                volumes[volume.Name] = folder;
            }
            else
            {
                throw new NotSupportedException($"volume {volume.Name}: only persistentVolumeClaim, emptyDir and secret volumes are run under podman");
            }
        }

        return volumes;
    }

    private static List<string> RunArguments(
        string pod,
        V1Container container,
        Dictionary<string, string> volumes,
        long user,
        long group,
        long? fsGroup,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, byte[]>>? secrets,
        IReadOnlyDictionary<string, string>? extraEnv)
    {
        V1SecurityContext security = container.SecurityContext ?? new V1SecurityContext();
        var run = new List<string>
        {
            "run", "--detach", "--pull", "never", "--pod", pod, "--name", $"{pod}-{container.Name}",
            "--user", $"{security.RunAsUser ?? user}:{security.RunAsGroup ?? group}",
        };
        if (fsGroup is { } supplementary)
        {
            run.AddRange(["--group-add", supplementary.ToString(CultureInfo.InvariantCulture)]);
        }

        if (security.ReadOnlyRootFilesystem == true)
        {
            // As in Kubernetes: only the mounted volumes are writable (podman would add tmpfs dirs).
            run.AddRange(["--read-only", "--read-only-tmpfs=false"]);
        }

        foreach (string capability in security.Capabilities?.Drop ?? [])
        {
            run.AddRange(["--cap-drop", capability]);
        }

        if (security.AllowPrivilegeEscalation == false)
        {
            run.AddRange(["--security-opt", "no-new-privileges"]);
        }

        if (container.Resources?.Limits?.TryGetValue("memory", out ResourceQuantity? memory) == true)
        {
            run.AddRange(["--memory", memory.ToInt64().ToString(CultureInfo.InvariantCulture)]);
        }

        foreach (V1EnvVar env in container.Env ?? [])
        {
            string value = env.Value;
            if (env.ValueFrom is { SecretKeyRef: { } secret })
            {
                byte[] data = secrets?.GetValueOrDefault(secret.Name)?.GetValueOrDefault(secret.Key)
                    ?? throw new InvalidOperationException($"{container.Name}: env {env.Name}: no content given for Secret {secret.Name} key {secret.Key}");
                value = System.Text.Encoding.UTF8.GetString(data);
            }
            else if (env.ValueFrom is not null)
            {
                throw new NotSupportedException($"{container.Name}: env {env.Name} comes from a reference other than a Secret");
            }

            run.AddRange(["--env", $"{env.Name}={value}"]);
        }

        foreach ((string name, string value) in extraEnv ?? new Dictionary<string, string>())
        {
            run.AddRange(["--env", $"{name}={value}"]);
        }

        foreach (V1VolumeMount mount in container.VolumeMounts ?? [])
        {
            run.AddRange(["--volume", $"{volumes[mount.Name]}:{mount.MountPath}:{(mount.ReadOnlyProperty == true ? "ro" : "rw")}"]);
        }

        if (container.Command is { Count: > 0 } command)
        {
            run.AddRange(["--entrypoint", command[0]]);
        }

        run.Add(container.Image);
        run.AddRange(container.Command?.Skip(1) ?? []);
        run.AddRange(container.Args ?? []);
        return run;
    }

    private static async Task<Dictionary<int, int>> ReadPortsAsync(V1Container anyContainer, string pod)
    {
        // "8081/tcp -> 127.0.0.1:38601" per published port of the pod's network namespace.
        string output = await Podman.RunCheckedAsync("port", $"{pod}-{anyContainer.Name}");
        return PortLine().Matches(output).ToDictionary(
            m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static void Tool(string file, params string[] arguments)
    {
        using var process = Process.Start(file, arguments);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed");
        }
    }

    [GeneratedRegex(@"(\d+)/tcp -> 127\.0\.0\.1:(\d+)")]
    private static partial Regex PortLine();

    /// <summary>Gives <paramref name="path"/> (recursively) to the pod's user and fsGroup, as a volume's fsGroup does.</summary>
    public static void Own(string path, Workload workload)
    {
        V1PodSecurityContext context = workload.Pod.SecurityContext;
        Tool("chown", "-R", $"{context.RunAsUser}:{context.FsGroup ?? context.RunAsGroup}", path);
    }
}
