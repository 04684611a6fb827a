/**
 * The floor: raw node:http + busboy piping the file upstream, no GraphQL at all. Reads
 * `operations` (for the name) and `map`, streams the file part into the signed create, and
 * answers what the gateway would.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import { upstreamFromEnv } from './upstream.js';

const upstream = upstreamFromEnv();
const server = createServer((req, res) => {
  const parser = busboy({ headers: req.headers });
  let name = 'floor';
  parser.on('field', (field, value) => {
    if (field === 'operations') name = (JSON.parse(value) as { variables: { input: { name: string } } }).variables.input.name;
  });
  parser.on('file', (_field, stream) => {
    upstream.create(name, stream).then(
      (created) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { createPictureModelingJob: { __typename: 'PictureModelingJobCreated', ...created } } }));
      },
      (error: Error) => {
        res.writeHead(500).end(error.message);
      },
    );
  });
  req.pipe(parser);
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => process.stdout.write(`floor listening on ${(server.address() as AddressInfo).port}\n`));
