/**
 * One grpc-js client (channel) for one endpoint + identity. PEMs go to grpc-js as buffers, never
 * to files. Channel options follow Velociraptor's API server: its cert is always named
 * `VelociraptorServer` (or pinned_server_name), it allows big rows, and it GOAWAYs clients that
 * ping more often than every 5 minutes.
 */
import { credentials, type ChannelOptions } from '@grpc/grpc-js';
import type { ApiConfig } from './config/api-config';
import { grpcTarget } from './config/connection-string';
import { createStub, type ApiStub } from './query/wire';

/** 8 MiB: a 64 KiB window caps a stream at ~1 window per RTT; measured ~1.5× throughput. */
export const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

export function channelOptions(config: ApiConfig): ChannelOptions {
  return {
    'grpc.ssl_target_name_override': config.serverName,
    'grpc.default_authority': config.serverName,
    'grpc.max_receive_message_length': config.maxRecvBytes,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
    // Keepalive only well above the server's 5 min enforcement, and only while calls run, so long
    // event queries notice a dead peer without provoking "too_many_pings".
    'grpc.keepalive_time_ms': 10 * 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.keepalive_permit_without_calls': 0,
    'grpc.initial_reconnect_backoff_ms': 500,
    'grpc.max_reconnect_backoff_ms': 5_000,
  };
}

/** Identity of a channel: the same endpoint with the same client cert and TLS name shares one. */
export function channelKey(config: ApiConfig): string {
  return `${grpcTarget(config.endpoint)}|${config.serverName}|${config.clientCertFingerprint}`;
}

export function createApiClient(config: ApiConfig): ApiStub {
  const creds = credentials.createSsl(
    Buffer.from(config.caCertificatePem),
    Buffer.from(config.clientPrivateKeyPem),
    Buffer.from(config.clientCertPem),
  );
  return createStub(grpcTarget(config.endpoint), creds, channelOptions(config));
}
