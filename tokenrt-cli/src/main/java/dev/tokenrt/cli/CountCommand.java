package dev.tokenrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.tokens.ChatTokenCounter;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.tokens.Tokenizer;
import dev.tokenrt.tokens.huggingface.HuggingFaceTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tokenrt count}: tokens in files, stdin, or an OpenAI chat request. */
@Command(name = "count", sortOptions = false,
        description = {
            "Count tokens in text files (or standard input), or the prompt tokens of a chat request.",
            "",
            "OpenAI models are counted exactly with their tiktoken encoding; open models exactly with their",
            "Hugging Face tokenizer.json (--tokenizer); Claude and Gemini are estimated (\"exact\": false)."},
        footer = {
            "",
            "Examples:",
            "  tokenrt count README.md                       # gpt-4o (o200k_base) by default",
            "  tokenrt count --model gpt-4 src/*.java         # a table per file and the total",
            "  cat prompt.txt | tokenrt count --encoding cl100k_base --json",
            "  tokenrt count --tokenizer llama3/tokenizer.json notes.md",
            "  tokenrt count --model gpt-4o --chat request.json   # framing, names, tools, images",
            "",
            "--json prints {\"model\", \"encoding\", \"exact\", \"files\":[{\"path\",\"chars\",\"tokens\"}], \"total_tokens\"};",
            "with --chat it prints {\"model\", \"prompt_tokens\", \"exact\"}. Errors exit with status 2."})
final class CountCommand implements Callable<Integer> {

    static final String DEFAULT_MODEL = "gpt-4o";

    static final class Selector {
        @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "Model whose tokenizer to use (default: " + DEFAULT_MODEL + ").")
        String model;

        @Option(names = {"-e", "--encoding"}, paramLabel = "ENCODING",
                description = "A tiktoken encoding: o200k_base, cl100k_base, p50k_base, r50k_base.")
        String encoding;

        @Option(names = {"-t", "--tokenizer"}, paramLabel = "PATH", description = "A Hugging Face tokenizer.json.")
        Path tokenizer;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Selector selector = new Selector();

    @Option(names = "--chat", paramLabel = "REQUEST.json",
            description = "Count the prompt tokens of an OpenAI chat-completions request body, as OpenAI bills them.")
    Path chat;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "Files to count; standard input when none (or '-').")
    List<Path> files = new ArrayList<>();

    @Override
    public Integer call() {
        String out = chat != null ? countChat() : countFiles();
        System.out.print(out);
        return 0;
    }

    private String countChat() {
        if (selector.encoding != null || selector.tokenizer != null) {
            throw new CliError("--chat counts with a model's chat framing: give --model, not --encoding or --tokenizer");
        }
        if (!files.isEmpty()) {
            throw new CliError("--chat takes the request file itself; no other FILE arguments");
        }
        JsonNode request = Json.readJson(chat);
        String model = selector.model != null ? selector.model : request.path("model").asText("");
        if (model.isEmpty()) {
            throw new CliError(chat + ": no model given (use --model or a \"model\" field)");
        }
        TokenCount count;
        try {
            count = new ChatTokenCounter(Runtime.tokenizers()).countPrompt(model, request);
        } catch (IllegalArgumentException e) {
            throw new CliError(e.getMessage());
        }
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("model", model);
            o.put("prompt_tokens", count.tokens());
            o.put("exact", count.exact());
            return Json.compact(o) + "\n";
        }
        return "model " + model + ": " + count.tokens() + " prompt tokens" + (count.exact() ? "" : " (estimated)") + "\n";
    }

    private String countFiles() {
        Tokenizer tokenizer;
        String model = null;
        String encoding;
        HuggingFaceTokenizer hf = null;
        if (selector.tokenizer != null) {
            try {
                hf = HuggingFaceTokenizer.fromFile(selector.tokenizer);
            } catch (IllegalArgumentException e) {
                throw new CliError(e.getMessage());
            }
            tokenizer = hf;
            encoding = tokenizer.name();
        } else if (selector.encoding != null) {
            try {
                tokenizer = Runtime.tokenizers().forEncoding(selector.encoding);
            } catch (IllegalArgumentException e) {
                throw new CliError(e.getMessage());
            }
            encoding = selector.encoding;
        } else {
            model = selector.model != null ? selector.model : DEFAULT_MODEL;
            tokenizer = Runtime.tokenizerForModel(model);
            encoding = tokenizer.name();
        }
        try {
            List<Path> inputs = files.isEmpty() ? List.of(Path.of("-")) : files;
            ArrayNode rows = Json.MAPPER.createArrayNode();
            long total = 0;
            boolean exact = tokenizer.exact();
            Table table = new Table("file", "chars", "tokens").right(1, 2);
            for (Path p : inputs) {
                String text = Json.readText(p);
                TokenCount c = tokenizer.count(text);
                exact &= c.exact();
                long chars = text.codePointCount(0, text.length());
                String name = p.toString().equals("-") ? "-" : p.toString();
                ObjectNode r = rows.addObject();
                r.put("path", name);
                r.put("chars", chars);
                r.put("tokens", c.tokens());
                total += c.tokens();
                table.row(name, chars, c.tokens());
            }
            if (json) {
                ObjectNode o = Json.MAPPER.createObjectNode();
                if (model == null) {
                    o.putNull("model");
                } else {
                    o.put("model", model);
                }
                o.put("encoding", encoding);
                o.put("exact", exact);
                o.set("files", rows);
                o.put("total_tokens", total);
                return Json.compact(o) + "\n";
            }
            if (inputs.size() > 1) {
                table.rule().row("total", "", total);
            }
            String head = (model != null ? "model " + model + ", " : "") + "tokenizer " + encoding
                    + (exact ? " (exact)" : " (estimated)") + "\n";
            return head + table.render();
        } finally {
            if (hf != null) {
                hf.close();
            }
        }
    }
}
