#!/usr/bin/env python3
"""Writes src/test/resources/fixtures/expected-usage.json: the usage each recorded fixture should yield.

Run once, by hand, when fixtures are added:  python3 src/test/scripts/generate_expected_usage.py [OUT]
(OUT defaults to the checked-in file; give a scratch path to compare instead of overwriting hand edits.)
Then review the diff and hand-check the entries that carry a "check" note (cache writes and reads, thinking and
reasoning, streams whose usage arrives in two events); the JSON file is the checked-in truth, not this script.

Deliberately independent of the Java parser: it reads the raw provider fields with plain dict lookups and the
provider documentation's arithmetic, so a test comparing the parser with this file compares two readings.
"""
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'fixtures')
OUT = os.path.join(ROOT, 'expected-usage.json')
SKIP = {"NOTICE", "LICENSE", "LICENSE-Apache-2.0", "expected-usage.json", "README.md", ".gitattributes"}

EXCLUDED = {
    'vercel-ai/google/speech-translation/google-live-speech-translation.chunks.txt':
        'Gemini Live API session (bidirectional websocket), not generateContent: usageMetadata per turn is not '
        'cumulative and uses responseTokenCount; streams of this API are not accumulated here',
    'vercel-ai/openai/speech-translation/openai-realtime-speech-translation.chunks.txt':
        'OpenAI Realtime translation session events; the recording holds no usage',
}
MALFORMED = {
    'vercel-ai/openai/responses/parallel-tool-call-wrapper.1.chunks.txt':
        'lines 1 and 6 lack the closing brace of the event object (recording defect upstream); the '
        'response.completed event cannot be read, so the stream must fail loudly rather than report no usage',
}


def zero():
    return dict(input=0, output=0, cacheRead=0, cacheWrite5m=0, cacheWrite1h=0, reasoning=0)


def num(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


# ---- the arithmetic, one function per provider, straight from the provider docs ----

def openai_chat(u):
    prompt = u['prompt_tokens']
    completion = u.get('completion_tokens') or 0
    cached = num(u, 'prompt_tokens_details', 'cached_tokens')
    if cached is None:
        cached = u.get('prompt_cache_hit_tokens') or 0
    reasoning = num(u, 'completion_tokens_details', 'reasoning_tokens')
    if reasoning is None:
        reasoning = u.get('reasoning_tokens') or 0
    output = completion
    total = u.get('total_tokens')
    # xAI reports completion_tokens without reasoning; total_tokens shows it
    if reasoning and total is not None and total != prompt + completion and total == prompt + completion + reasoning:
        output = completion + reasoning
    r = zero()
    r.update(input=prompt, output=output, cacheRead=cached, reasoning=reasoning)
    return r


def openai_responses(u):
    r = zero()
    out = u.get('output_tokens') or 0
    reasoning = num(u, 'output_tokens_details', 'reasoning_tokens') or 0
    total = u.get('total_tokens')
    if reasoning and total is not None and total != u['input_tokens'] + out and total == u['input_tokens'] + out + reasoning:
        out += reasoning
    r.update(input=u['input_tokens'], output=out,
             cacheRead=num(u, 'input_tokens_details', 'cached_tokens') or 0,
             cacheWrite5m=num(u, 'input_tokens_details', 'cache_write_tokens') or 0,
             reasoning=reasoning)
    return r


def anthropic(u):
    creation = u.get('cache_creation_input_tokens') or 0
    split = u.get('cache_creation') or {}
    h1 = split.get('ephemeral_1h_input_tokens') or 0
    m5 = split.get('ephemeral_5m_input_tokens') or 0
    if m5 + h1 != creation:      # no split, or a split left over from message_start: 1h kept, rest 5m
        m5 = creation - h1
    read = u.get('cache_read_input_tokens') or 0
    r = zero()
    r.update(input=u['input_tokens'] + read + creation, output=u.get('output_tokens') or 0, cacheRead=read,
             cacheWrite5m=m5, cacheWrite1h=h1, reasoning=num(u, 'output_tokens_details', 'thinking_tokens') or 0)
    return r


def anthropic_iterations(u):
    its = []
    for it in u.get('iterations') or []:
        e = {'type': it.get('type', 'message')}
        if it.get('model'):
            e['model'] = it['model']
        e.update(anthropic(it))
        its.append(e)
    return its


GEMINI_KEYS = ('promptTokenCount', 'candidatesTokenCount', 'thoughtsTokenCount', 'toolUsePromptTokenCount',
               'cachedContentTokenCount', 'totalTokenCount', 'responseTokenCount')


def gemini(m):
    thoughts = m.get('thoughtsTokenCount') or 0
    candidates = m.get('candidatesTokenCount')
    if candidates is None:
        candidates = m.get('responseTokenCount') or 0
    r = zero()
    r.update(input=(m.get('promptTokenCount') or 0) + (m.get('toolUsePromptTokenCount') or 0),
             output=candidates + thoughts, cacheRead=m.get('cachedContentTokenCount') or 0, reasoning=thoughts)
    return r


def gemini_interactions(u):
    thoughts = u.get('total_thought_tokens') or 0
    r = zero()
    r.update(input=u['total_input_tokens'] + (u.get('total_tool_use_tokens') or 0),
             output=(u.get('total_output_tokens') or 0) + thoughts, cacheRead=u.get('total_cached_tokens') or 0,
             reasoning=thoughts)
    return r


# ---- bodies ----

def body_usage(body):
    """(format, usage) of a response body, or None."""
    if not isinstance(body, dict):
        return None
    for node in [body] + [body[k] for k in ('response', 'message', 'interaction') if isinstance(body.get(k), dict)]:
        m = node.get('usageMetadata')
        if isinstance(m, dict) and any(m.get(k) is not None for k in GEMINI_KEYS):
            return 'gemini', gemini(m)
        u = node.get('usage')
        if isinstance(u, dict):
            found = bare_usage(u)
            if found:
                return found
    return None


def bare_usage(u):
    if u.get('prompt_tokens') is not None:
        return 'openai-chat', openai_chat(u)
    if u.get('total_input_tokens') is not None:
        return 'gemini-interactions', gemini_interactions(u)
    if u.get('input_tokens') is not None and u.get('output_tokens') is not None:  # else a count_tokens reply
        if any(k in u for k in ('cache_creation_input_tokens', 'cache_read_input_tokens', 'iterations')):
            return 'anthropic', anthropic(u)
        if 'input_tokens_details' in u or 'total_tokens' in u:
            return 'openai-responses', openai_responses(u)
        return 'anthropic', anthropic(u)
    return None


# ---- streams: split into responses, keep the latest figures ----

def stream_segments(fmt, events):
    """events: list of ('json', obj) or ('done', None). Returns a list of per-response results."""
    segments, state, seen = [], None, False

    def close():
        nonlocal state, seen
        if seen:
            segments.append(state)
        state, seen = None, False

    for kind, e in events:
        seen = True
        if kind == 'done':
            if fmt == 'openai-chat':
                close()
            continue
        if fmt == 'openai-chat':
            u = e.get('usage')
            if not isinstance(u, dict):
                u = num(e, 'x_groq', 'usage')
            if isinstance(u, dict) and u.get('prompt_tokens') is not None:
                state = {'usage': openai_chat(u)}
        elif fmt == 'openai-responses':
            u = num(e, 'response', 'usage')
            if isinstance(u, dict):
                state = {'usage': openai_responses(u)}
            if e.get('type') in ('response.completed', 'response.incomplete', 'response.failed'):
                close()
        elif fmt == 'anthropic':
            t = e.get('type')
            if t == 'message_start' and isinstance(num(e, 'message', 'usage'), dict):
                state = {'raw': dict(e['message']['usage'])}
            elif t == 'message_delta' and isinstance(e.get('usage'), dict):
                raw = dict(state['raw']) if state else {}
                raw.update(e['usage'])
                state = {'raw': raw}
            elif t in ('message_stop', 'error'):
                close()
        elif fmt == 'gemini':
            m = e.get('usageMetadata')
            if isinstance(m, dict) and any(m.get(k) is not None for k in GEMINI_KEYS):
                state = {'usage': gemini(m)}
        elif fmt == 'gemini-interactions':
            u = num(e, 'interaction', 'usage')
            if isinstance(u, dict):
                state = {'usage': gemini_interactions(u)}
            if e.get('event_type') == 'interaction.completed':
                close()
    close()
    out = []
    for s in segments:
        if s is None:
            out.append(None)
        elif 'raw' in s:
            if s['raw'].get('input_tokens') is None:
                out.append(None)
                continue
            entry = {'usage': anthropic(s['raw'])}
            if s['raw'].get('iterations'):
                entry['iterations'] = anthropic_iterations(s['raw'])
            out.append(entry)
        else:
            out.append(s)
    return out


def sse_events(text):
    """Tiny SSE reader for the generator: data lines joined, dispatched at blank lines."""
    events, data = [], []
    for line in re.split(r'\r\n|\r|\n', text):
        if line == '':
            if data:
                payload = '\n'.join(data)
                events.append(('done', None) if payload.strip() == '[DONE]' else ('json', json.loads(payload)))
                data = []
        elif line.startswith('data:'):
            v = line[5:]
            data.append(v[1:] if v.startswith(' ') else v)
    if data:
        payload = '\n'.join(data)
        events.append(('done', None) if payload.strip() == '[DONE]' else ('json', json.loads(payload)))
    return events


def stream_format(path):
    p = path
    if p.startswith('openai-python/streams/') or p.endswith('.sse') and 'openai-compatible' in p:
        return 'openai-chat'
    if p.startswith('anthropic-sdk-python/') or p.startswith('vercel-ai/anthropic/'):
        return 'anthropic'
    if p.startswith('gemini-vertexai-sdk-test-data/'):
        return 'gemini'
    if p.startswith('vercel-ai/google/interactions/'):
        return 'gemini-interactions'
    if p.startswith('vercel-ai/google/'):
        return 'gemini'
    if '/responses/' in p or p.startswith('vercel-ai/azure/') and 'deepseek' not in p:
        return 'openai-responses'
    return 'openai-chat'


def checks(result):
    """Hand-check notes for the figures the brief calls tricky."""
    u = result['usage']
    notes = []
    if u['cacheRead']:
        notes.append('cache read')
    if u['cacheWrite5m'] or u['cacheWrite1h']:
        notes.append('cache write')
    if u['reasoning']:
        notes.append('reasoning/thinking')
    if 'iterations' in result:
        notes.append('iterations')
    return notes


def main():
    entries = {}
    for dirpath, _, files in os.walk(ROOT):
        for name in files:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, ROOT).replace(os.sep, '/')
            if name in SKIP:
                continue
            text = open(full, encoding='utf-8').read()
            if rel in EXCLUDED:
                entries[rel] = {'kind': 'excluded', 'reason': EXCLUDED[rel]}
                continue
            if rel in MALFORMED:
                entries[rel] = {'kind': 'malformed', 'format': stream_format(rel), 'reason': MALFORMED[rel]}
                continue
            if rel.endswith('.chunks.txt'):
                fmt = stream_format(rel)
                events = [('json', json.loads(l)) for l in text.splitlines() if l.strip()]
                entries[rel] = {'kind': 'chunks', 'format': fmt, 'responses': stream_segments(fmt, events)}
            elif rel.endswith(('.bin', '.sse')) or (name.startswith(('streaming-', 'lib__streaming__'))):
                fmt = stream_format(rel)
                entries[rel] = {'kind': 'sse', 'format': fmt, 'responses': stream_segments(fmt, sse_events(text))}
            elif rel.startswith('anthropic-sdk-python/'):
                exchanges = []
                for ex in json.loads(text):
                    body = ex['response']['body']
                    if isinstance(body, str):
                        segs = stream_segments('anthropic', sse_events(body))
                        assert len(segs) == 1
                        exchanges.append(dict(segs[0], kind='sse', format='anthropic') if segs[0] else None)
                    else:
                        found = body_usage(body)
                        exchanges.append({'kind': 'body', 'format': found[0], 'usage': found[1]} if found else None)
                entries[rel] = {'kind': 'cassette', 'exchanges': exchanges}
            elif rel.startswith('helicone-stubs/'):
                stub = json.loads(text)
                found = body_usage(stub['response'].get('jsonBody'))
                entries[rel] = {'kind': 'wiremock', 'format': found[0] if found else None,
                                'usage': found[1] if found else None}
            else:
                try:
                    body = json.loads(text)
                except ValueError:
                    body = None
                found = body_usage(body)
                entries[rel] = {'kind': 'body', 'format': found[0] if found else None,
                                'usage': found[1] if found else None}
    for e in entries.values():
        results = []
        if e.get('usage'):
            results.append(e)
        for r in (e.get('responses') or []) + (e.get('exchanges') or []):
            if r:
                results.append(r)
        notes = sorted({n for r in results for n in checks(r)})
        if notes:
            e['check'] = notes
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    with open(out, 'w', encoding='utf-8') as f:
        f.write('{\n"comment": "Expected usage per recorded fixture, written once by '
                'src/test/scripts/generate_expected_usage.py from the raw provider fields and hand-checked where an '
                'entry has a check note. usage: input/output are inclusive totals; null = no usage. responses: one '
                'per response in a stream file, in order. Edit by hand, never regenerate blindly.",\n"fixtures": {\n')
        keys = sorted(entries)
        for i, k in enumerate(keys):
            f.write('  ' + json.dumps(k) + ': ' + json.dumps(entries[k], separators=(', ', ': ')))
            f.write(',\n' if i < len(keys) - 1 else '\n')
        f.write('}\n}\n')
    print('wrote', len(entries), 'entries to', out, file=sys.stderr)


if __name__ == '__main__':
    main()
