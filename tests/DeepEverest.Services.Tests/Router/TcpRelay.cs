using System.Net;
using System.Net.Sockets;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// A loopback TCP relay in front of a shard's service, as the router reaches it: what the router
/// sees of a shard that is killed (<see cref="Kill"/>: open connections reset, new ones refused
/// until <see cref="Restore"/>) or replaced by another process at the same address
/// (<see cref="TargetPort"/>). Bytes pass through unchanged; nothing of HTTP/2 is parsed.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _down;

    /// <summary>Relays 127.0.0.1:<see cref="Url"/> to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public TcpRelay(int targetPort)
    {
        TargetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>A relay to the service at <paramref name="url"/> (http://127.0.0.1:port).</summary>
    public TcpRelay(string url)
        : this(new Uri(url).Port)
    {
    }

    /// <summary>Where new connections go; connections already open stay where they were.</summary>
    public int TargetPort { get; set; }

    /// <summary>The relay's address, as the router's configuration names the shard.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Resets every open connection and refuses new ones: a killed process, as its peers see it.</summary>
    public void Kill()
    {
        _down = true;
        lock (_open)
        {
            foreach (TcpClient client in _open)
            {
                // Linger 0: the peer gets a reset at once, as when the process dies.
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
            }

            _open.Clear();
        }
    }

    /// <summary>
    /// Sends every connection, open ones included (they are reset), to the service at
    /// <paramref name="url"/>: another process now answers at the shard's address.
    /// </summary>
    public void Retarget(string url)
    {
        TargetPort = new Uri(url).Port;
        Kill();
        Restore();
    }

    /// <summary>Accepts connections again (the shard is back).</summary>
    public void Restore() => _down = false;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Kill();
        try
        {
            await _accepting;
        }
        catch (Exception)
        {
            // The listener was stopped under the accept loop: that is how it ends.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            if (_down)
            {
                inbound.LingerState = new LingerOption(true, 0);
                inbound.Dispose();
                continue;
            }

            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        lock (_open)
        {
            _open.Add(inbound);
            _open.Add(outbound);
        }

        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, TargetPort, _stop.Token);
            NetworkStream a = inbound.GetStream();
            NetworkStream b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
        }
        catch (Exception)
        {
            // Killed, refused or closed by either side: the other side sees its connection end.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }

            inbound.Dispose();
            outbound.Dispose();
        }
    }
}
