// Drives a running Token Runtime gateway with the official, unmodified SDKs and prints one JSON object
// per check: {"check": name, "ok": bool, "detail": ...}. The Java test (RealClientsIT) asserts on them.
// Usage: node sdk-check.mjs <gateway base URL> <key> <openai model> <anthropic model> <openai tool model> <anthropic tool model>
// (the tool models are routes to upstreams that answer with a tool call)
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { check, assert } from './checks.mjs';

const [base, key, openaiModel, claudeModel, openaiToolModel, claudeToolModel] = process.argv.slice(2);
const toolModel = { [openaiModel]: openaiToolModel, [claudeModel]: claudeToolModel };
const openai = new OpenAI({ baseURL: base + '/v1', apiKey: key, maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });


const messages = [{ role: 'user', content: 'Say hello in one short sentence.' }];

for (const model of [openaiModel, claudeModel]) {
  await check(`chat:${model}`, async () => {
    const r = await openai.chat.completions.create({ model, messages });
    assert(typeof r.choices[0].message.content === 'string' && r.choices[0].message.content.length > 0, 'content');
    assert(r.usage && r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0, 'usage');
    return { id: r.id, model: r.model, usage: r.usage };
  });

  await check(`stream-no-usage:${model}`, async () => {
    const s = await openai.chat.completions.create({ model, messages, stream: true });
    let text = '', usageChunks = 0, chunks = 0;
    for await (const c of s) {
      chunks++;
      if (c.usage) usageChunks++;
      text += c.choices[0]?.delta?.content ?? '';
    }
    assert(text.length > 0, 'streamed text');
    assert(usageChunks === 0, 'no usage chunk unless asked');
    return { chunks, chars: text.length };
  });

  await check(`stream-usage:${model}`, async () => {
    const s = await openai.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
    let last, text = '';
    for await (const c of s) { last = c; text += c.choices[0]?.delta?.content ?? ''; }
    assert(last.usage && last.usage.prompt_tokens > 0, 'final usage chunk');
    assert(last.choices.length === 0, 'usage chunk has empty choices');
    return { usage: last.usage, chars: text.length };
  });

  await check(`tools:${model}`, async () => {
    const r = await openai.chat.completions.create({
      model: toolModel[model], messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'required',
    });
    const call = r.choices[0].message.tool_calls?.[0];
    assert(call && call.type === 'function', 'a tool call');
    JSON.parse(call.function.arguments);
    return { name: call.function.name, finish: r.choices[0].finish_reason };
  });
}

await check('embeddings', async () => {
  const r = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'world'] });
  assert(r.data.length === 2 && r.data[0].embedding.length > 0, 'two vectors');
  return { dims: r.data[0].embedding.length, usage: r.usage };
});

await check('models', async () => {
  const list = [];
  for await (const m of openai.models.list()) list.push(m.id);
  assert(list.length > 0, 'some models');
  return { count: list.length };
});

await check('error:auth', async () => {
  const bad = new OpenAI({ baseURL: base + '/v1', apiKey: 'sk-wrong', maxRetries: 0 });
  try { await bad.chat.completions.create({ model: openaiModel, messages }); } catch (e) {
    assert(e instanceof OpenAI.AuthenticationError, 'AuthenticationError, got ' + e.constructor.name);
    assert(e.status === 401, 'status 401');
    return { type: e.constructor.name, message: e.message };
  }
  throw new Error('no error');
});

await check('error:bad-request', async () => {
  try { await openai.chat.completions.create({ model: openaiModel, messages: 'not a list' }); } catch (e) {
    assert(e instanceof OpenAI.BadRequestError, 'BadRequestError, got ' + e.constructor.name);
    return { type: e.constructor.name, param: e.param, message: e.message };
  }
  throw new Error('no error');
});

await check('error:not-found', async () => {
  try { await openai.chat.completions.create({ model: 'no-such-model-xyz', messages }); } catch (e) {
    assert(e instanceof OpenAI.NotFoundError, 'NotFoundError, got ' + e.constructor.name);
    return { type: e.constructor.name, message: e.message };
  }
  throw new Error('no error');
});

for (const model of [claudeModel, openaiModel]) {
  await check(`anthropic:${model}`, async () => {
    const r = await anthropic.messages.create({ model, max_tokens: 256, messages });
    assert(r.type === 'message' && r.content[0].type === 'text' && r.content[0].text.length > 0, 'text block');
    assert(r.usage.input_tokens >= 0 && r.usage.output_tokens > 0, 'usage');
    return { model: r.model, usage: r.usage, stop: r.stop_reason };
  });

  await check(`anthropic-stream:${model}`, async () => {
    const stream = anthropic.messages.stream({ model, max_tokens: 256, messages });
    let text = '';
    stream.on('text', t => { text += t; });
    const final = await stream.finalMessage();
    assert(text.length > 0, 'streamed text');
    assert(final.usage.output_tokens > 0, 'final usage');
    return { chars: text.length, usage: final.usage };
  });
}

await check('anthropic:error:auth', async () => {
  const bad = new Anthropic({ baseURL: base, apiKey: 'sk-wrong', maxRetries: 0 });
  try { await bad.messages.create({ model: claudeModel, max_tokens: 10, messages }); } catch (e) {
    assert(e instanceof Anthropic.AuthenticationError, 'AuthenticationError, got ' + e.constructor.name);
    return { type: e.constructor.name };
  }
  throw new Error('no error');
});
