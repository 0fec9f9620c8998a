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
 * `writeBytes`: build the whole stream first and write it in writes of that
 * many bytes (benchmarks: the same events, little CPU spent producing them).
 */
export async function startFakeUpstream({ answer, pieceSize = 4, delayMs = 0, script = () => undefined, cors = false, writeBytes = 0 }) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    // `cors`: allow browsers on other origins (for the widget's direct mode).
    if (cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'content-type, accept, api-key, authorization, extra-parameters');
      res.setHeader('access-control-allow-methods', 'GET, POST');
      if (req.method === 'OPTIONS') { res.writeHead(204); res.end(); return; }
    }
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
    // `n` choices (choice i > 0 says which it is) and, with `logprobs`, each
    // piece's log probability (every fifth piece unsure) with alternatives.
    const n = Math.max(1, request.n ?? 1);
    const texts = Array.from({ length: n }, (_, i) => (i === 0 ? text : `${text}(variant ${i + 1})`));
    const split = (t) => { const p = []; for (let i = 0; i < t.length; i += pieceSize) p.push(t.slice(i, i + pieceSize)); return p; };
    const pieceLists = texts.map(split);
    const logprobs = (piece, k) => {
      if (!request.logprobs) return null;
      const logprob = k % 5 === 4 ? -1.2 : -0.02;
      return { content: [{ token: piece, logprob, top_logprobs: [{ token: piece, logprob }, { token: `${piece.trim()}?`, logprob: -2.5 }] }] };
    };
    const chunk = (choices, usage) => `data: ${JSON.stringify({
      id: 'fake', object: 'chat.completion.chunk', created: 1, model: 'fake-phi', choices, ...(usage ? { usage } : {}),
    })}\n\n`;
    const choice = (index, delta, finish = null, lp = null) => ({ index, delta, finish_reason: finish, logprobs: lp });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (writeBytes) {
      const events = [chunk(texts.map((_, i) => choice(i, { role: 'assistant', content: '' })))];
      for (const piece of pieceLists[0]) events.push(chunk([choice(0, { content: piece })]));
      const usage = { prompt_tokens: 10, completion_tokens: pieceLists[0].length, total_tokens: 10 + pieceLists[0].length };
      events.push(chunk([choice(0, { content: '' }, 'stop')], usage), 'data: [DONE]\n\n');
      const stream = Buffer.from(events.join(''));
      for (let at = 0; at < stream.length; at += writeBytes) {
        if (!res.write(stream.subarray(at, at + writeBytes))) await new Promise((r) => res.once('drain', r));
      }
      res.end();
      return;
    }
    res.write(chunk(texts.map((_, i) => choice(i, { role: 'assistant', content: '' }))));
    const longest = Math.max(...pieceLists.map((p) => p.length));
    for (let k = 0; k < longest; k++) {
      if (plan.cutAfter !== undefined && k >= plan.cutAfter) {
        await new Promise((r) => setTimeout(r, 50));
        res.socket.destroy();
        return;
      }
      if (plan.malformedAt === k) res.write('data: {"choices": [ this is not json\n\n');
      const choices = pieceLists.flatMap((pieces, i) => (k < pieces.length ? [choice(i, { content: pieces[k] }, null, logprobs(pieces[k], k))] : []));
      if (!res.write(chunk(choices))) await new Promise((r) => res.once('drain', r));
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
    const completion = pieceLists.reduce((sum, p) => sum + p.length, 0);
    const finishes = texts.map((_, i) => choice(i, { content: '' }, i === 1 ? 'length' : (plan.finishReason ?? 'stop')));
    res.end(chunk(finishes, { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion }) + 'data: [DONE]\n\n');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
