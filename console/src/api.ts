/**
 * The two services, as seen from the page: the QueryService answers on the page's own origin
 * (it serves the console); the IndexService's HTTP address comes from /console-config.json
 * (empty = the same origin, for an ingress that routes by path). Both speak gRPC-Web.
 */
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { IndexService } from "./gen/deepeverest/v1/index_service_pb.js";
import { QueryService } from "./gen/deepeverest/v1/query_service_pb.js";

export interface Services {
  index: Client<typeof IndexService>;
  query: Client<typeof QueryService>;
  indexUrl: string;
  queryUrl: string;
}

interface ConsoleConfig {
  indexServiceUrl?: string;
  IndexServiceUrl?: string;
}

/** Reads /console-config.json and opens gRPC-Web clients to both services. */
export async function connect(): Promise<Services> {
  const queryUrl = window.location.origin;
  let indexUrl = queryUrl;
  try {
    const response = await fetch(new URL("console-config.json", window.location.href), { cache: "no-store" });
    if (response.ok) {
      const config = (await response.json()) as ConsoleConfig;
      const configured = config.indexServiceUrl ?? config.IndexServiceUrl ?? "";
      indexUrl = configured.trim() === "" ? queryUrl : configured.replace(/\/+$/, "");
    }
  } catch {
    // Served without the config (a static server): both services on this origin.
  }
  return {
    index: createClient(IndexService, createGrpcWebTransport({ baseUrl: indexUrl })),
    query: createClient(QueryService, createGrpcWebTransport({ baseUrl: queryUrl })),
    indexUrl,
    queryUrl,
  };
}

/** The status and message of a failed call, for display. */
export interface CallError {
  code: string;
  message: string;
  cancelled: boolean;
}

export function describeError(e: unknown): CallError {
  if (e instanceof ConnectError) {
    const unreachable = e.code === Code.Unknown && /fetch|network/i.test(e.rawMessage);
    return {
      code: unreachable ? "Unavailable" : Code[e.code] ?? String(e.code),
      message: unreachable ? "the service cannot be reached (is it running?)" : e.rawMessage,
      cancelled: e.code === Code.Canceled,
    };
  }
  if (e instanceof DOMException && e.name === "AbortError") {
    return { code: "Canceled", message: "cancelled", cancelled: true };
  }
  return { code: "Error", message: e instanceof Error ? e.message : String(e), cancelled: false };
}
