// A fake Azure AI Model Inference upstream on loopback for tests that need
// answers the demo endpoint does not give. It follows the documented wire
// format: /info, and /chat/completions streaming `chat.completion.chunk`
// events with `usage` on the last one, then `data: [DONE]`.
import http from 'node:http';

/**
 * Starts the fake; `answer(request)` returns the markdown to stream.
 * `script(request, index)` may instead return `{ status, headers, body }` for an
 * error response, or `{ cutAfter: n }` to stream n pieces and then drop the
 * connection, `{ malformedAt: n }` to send a broken event before piece n,
 * `{ finishReason }` to end with another reason; `undefined` streams normally.
 */
export async function startFakeUpstream({ answer, pieceSize = 4, delayMs = 0, script = () => undefined }) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.url.startsWith('/info')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model_name: 'fake-phi', model_type: 'chat-completions', model_provider_name: 'test double' }));
      return;
    }
    const request = body ? JSON.parse(body) : {};
    requests.push({ headers: req.headers, body: request });
    const plan = script(request, requests.length - 1) ?? {};
    if (plan.status) {
      res.writeHead(plan.status, { 'content-type': 'application/json', ...(plan.headers ?? {}) });
      res.end(plan.body ?? '');
      return;
    }
    const text = answer(request);
    const chunk = (delta, finish = null, usage) => `data: ${JSON.stringify({
      id: 'fake', object: 'chat.completion.chunk', created: 1, model: 'fake-phi',
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...(usage ? { usage } : {}),
    })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: '' }));
    const pieces = [];
    for (let i = 0; i < text.length; i += pieceSize) pieces.push(text.slice(i, i + pieceSize));
    for (const [i, piece] of pieces.entries()) {
      if (plan.cutAfter !== undefined && i >= plan.cutAfter) {
        await new Promise((r) => setTimeout(r, 50));
        res.socket.destroy();
        return;
      }
      if (plan.malformedAt === i) res.write('data: {"choices": [ this is not json\n\n');
      if (!res.write(chunk({ content: piece }))) await new Promise((r) => res.once('drain', r));
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
    res.end(chunk({ content: '' }, plan.finishReason ?? 'stop', { prompt_tokens: 10, completion_tokens: pieces.length, total_tokens: 10 + pieces.length })
      + 'data: [DONE]\n\n');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
