// Cached answers replayed to the official, unmodified SDKs: an answer stored from one request is served to the
// same request streamed (OpenAI SDK), to the Anthropic SDK (plain and streamed), and to a tool-calling request.
// Prints one JSON object per check, as sdk-check.mjs does; CachedAnswersWithSdksTest asserts on them.
// Usage: node cache-check.mjs <gateway base URL> <key> <openai model> <anthropic model> <openai tool model> <nonce>
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { check, assert } from './checks.mjs';

const [base, key, openaiModel, claudeModel, toolModel, nonce] = process.argv.slice(2);
const openai = new OpenAI({ baseURL: base + '/v1', apiKey: key, maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });


const question = `Say hello in one short sentence. (${nonce})`;
const params = { temperature: 0, max_tokens: 64 };

for (const model of [openaiModel, claudeModel]) {
  await check(`openai-stream-replay:${model}`, async () => {
    const first = await openai.chat.completions.create({ model, ...params, messages: [{ role: 'user', content: question }] })
      .withResponse();
    assert(first.response.headers.get('x-tokenrt-cache') === 'MISS', 'first is a miss');
    const { data: s, response } = await openai.chat.completions.create({ model, ...params, stream: true,
      stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] }).withResponse();
    assert(response.headers.get('x-tokenrt-cache') === 'HIT', 'streamed repeat is a hit: ' + response.headers.get('x-tokenrt-cache'));
    let text = '', last, finish;
    for await (const c of s) { last = c; text += c.choices[0]?.delta?.content ?? ''; finish = c.choices[0]?.finish_reason ?? finish; }
    assert(text === first.data.choices[0].message.content, 'replayed text equals the stored answer');
    assert(finish, 'a finish reason');
    assert(last.usage && last.usage.prompt_tokens === first.data.usage.prompt_tokens, 'usage of the stored answer');
    return { chars: text.length, usage: last.usage };
  });

  await check(`anthropic-replay:${model}`, async () => {
    const { data: m, response } = await anthropic.messages.create({ model, ...params,
      messages: [{ role: 'user', content: question }] }).withResponse();
    assert(response.headers.get('x-tokenrt-cache') === 'HIT', 'anthropic client hits the same entry');
    assert(m.type === 'message' && m.content[0].type === 'text' && m.content[0].text.length > 0, 'a message');
    const stream = anthropic.messages.stream({ model, ...params, messages: [{ role: 'user', content: question }] });
    const final = await stream.finalMessage();
    assert(final.content[0].text === m.content[0].text, 'streamed replay equals the message');
    assert(final.stop_reason, 'a stop reason');
    return { chars: m.content[0].text.length, stop: final.stop_reason };
  });
}

await check('tool-call-replay', async () => {
  const req = { model: toolModel, ...params, tool_choice: 'required',
    messages: [{ role: 'user', content: `What is the weather in Paris? (${nonce})` }],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }] };
  const first = await openai.chat.completions.create(req);
  const { data: s, response } = await openai.chat.completions.create({ ...req, stream: true }).withResponse();
  assert(response.headers.get('x-tokenrt-cache') === 'HIT', 'tool call repeat is a hit');
  const calls = {};
  for await (const c of s) {
    for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
      calls[tc.index] ??= { name: '', arguments: '' };
      if (tc.function?.name) calls[tc.index].name += tc.function.name;
      if (tc.function?.arguments) calls[tc.index].arguments += tc.function.arguments;
    }
  }
  const want = first.choices[0].message.tool_calls[0].function;
  assert(calls[0].name === want.name && calls[0].arguments === want.arguments, 'the same tool call, streamed');
  return calls[0];
});
