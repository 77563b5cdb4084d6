// CRI's RuntimeService/StopContainer (k8s.io/cri-api runtime/v1 api.proto) over the runtime's
// unix socket: gRPC is HTTP/2 with length-prefixed protobuf messages, and StopContainerRequest is
// two fields (container_id = 1, timeout = 2), so it is encoded here rather than pulling in a gRPC
// stack for one call.
import { connect as netConnect } from 'node:net';
import { connect } from 'node:http2';
import { failed, gone, ok, type Outcome } from '../outcome.js';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** The gRPC frame of a StopContainerRequest. */
export function stopContainerFrame(containerId: string, timeoutSeconds: number): Buffer {
  const id = Buffer.from(containerId, 'utf8');
  const msg = Buffer.from([0x0a, ...varint(id.length), ...id, ...(timeoutSeconds > 0 ? [0x10, ...varint(timeoutSeconds)] : [])]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

const NOT_FOUND = 5;

export function criStopContainer(socket: string, containerId: string, timeoutSeconds: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const session = connect('http://localhost', { createConnection: () => netConnect(socket) });
    const done = (o: Outcome) => {
      session.close();
      resolve(o);
    };
    session.on('error', (err) => done(failed(`CRI socket ${socket}: ${err.message}`)));
    const req = session.request({ ':method': 'POST', ':path': '/runtime.v1.RuntimeService/StopContainer', 'content-type': 'application/grpc', te: 'trailers' });
    req.setTimeout(timeoutMs, () => {
      req.close();
      done(failed(`CRI StopContainer ${containerId.slice(0, 12)}: no answer within ${timeoutMs} ms`));
    });
    let status: number | undefined;
    let message = '';
    const take = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => undefined);
    req.on('error', (err) => done(failed(`CRI StopContainer ${containerId.slice(0, 12)}: ${err.message}`)));
    req.on('end', () => {
      if (status === 0) done(ok(`CRI StopContainer ${containerId.slice(0, 12)}`));
      else if (status === NOT_FOUND) done(gone(`CRI: container ${containerId.slice(0, 12)} not found`));
      else done(failed(`CRI StopContainer ${containerId.slice(0, 12)}: grpc-status ${status ?? 'missing'} ${message}`.trim()));
    });
    req.end(stopContainerFrame(containerId, timeoutSeconds));
  });
}
