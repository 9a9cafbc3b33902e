/**
 * The reference for HTTP benchmarks: a bare fastify route that parses a JSON body and answers a
 * small JSON object, in its own process. It measures what loopback HTTP plus fastify cost on this
 * machine today, so the broker's figures can be read as a ratio of it.
 */
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
app.post('/echo', async (request) => ({ ok: true, size: JSON.stringify(request.body).length > 0 ? 1 : 0 }));
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port });
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
