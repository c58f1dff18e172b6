package dev.tokenrt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A realistic ~2,000-token chat-completions request for the counting benchmark: a long system prompt, three tool
 * definitions, a few turns with corpus text (English, Chinese, code), an assistant tool call and its result.
 */
final class ChatRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatRequests() {
    }

    static JsonNode build(Corpus corpus) {
        List<String> c = corpus.chunks();
        ObjectNode request = JSON.createObjectNode();
        request.put("model", "gpt-4o");
        ArrayNode messages = request.putArray("messages");
        messages.addObject().put("role", "system").put("content",
                "You are a meticulous research assistant for a software company. Answer in the user's language, "
                        + "cite the passage you rely on, prefer short paragraphs, and call a tool when the answer "
                        + "depends on data you do not have. " + slice(c.get(3), 1500));
        messages.addObject().put("role", "user").put("content", "Summarise this passage:\n" + slice(c.get(40), 1400));
        messages.addObject().put("role", "assistant").put("content", slice(c.get(41), 500));
        int chinese = firstChunkWith(c, 0, "的");
        messages.addObject().put("role", "user").put("content", "请翻译下面的文字：\n" + slice(c.get(chinese), 600));
        ObjectNode call = messages.addObject().put("role", "assistant");
        call.putNull("content");
        ObjectNode fn = call.putArray("tool_calls").addObject().put("id", "call_1").put("type", "function")
                .putObject("function");
        fn.put("name", "search_docs").put("arguments", "{\"query\": \"asyncio TaskGroup cancellation\", \"limit\": 3}");
        // the Python library modules are the last part of the corpus
        int code = firstChunkWith(c, c.size() * 9 / 10, "\ndef ");
        messages.addObject().put("role", "tool").put("tool_call_id", "call_1").put("content", slice(c.get(code), 2200));
        messages.addObject().put("role", "user").put("content", "Explain the code above and suggest a test for it.");

        ArrayNode tools = request.putArray("tools");
        tools.add(tool("search_docs", "Search the documentation index",
                "query", "string", "What to look for", "limit", "integer", "How many passages to return"));
        tools.add(tool("get_weather", "Get the current weather in a given location",
                "location", "string", "The city and state, e.g. San Francisco, CA", "unit", "string", "celsius or fahrenheit"));
        tools.add(tool("create_ticket", "Open a ticket in the issue tracker",
                "title", "string", "A one-line summary", "priority", "integer", "1 (urgent) to 4 (whenever)"));
        request.put("tool_choice", "auto");
        return request;
    }

    /** The strings a plain tokenizer would be given for the same request: contents, arguments and tool JSON. */
    static List<String> texts(JsonNode request) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : request.get("messages")) {
            out.add(m.get("role").asText());
            if (m.hasNonNull("content")) {
                out.add(m.get("content").asText());
            }
            for (JsonNode call : m.path("tool_calls")) {
                out.add(call.at("/function/name").asText());
                out.add(call.at("/function/arguments").asText());
            }
        }
        for (JsonNode tool : request.get("tools")) {
            out.add(tool.get("function").toString());
        }
        return List.copyOf(out);
    }

    private static ObjectNode tool(String name, String description, String p1, String t1, String d1,
                                   String p2, String t2, String d2) {
        ObjectNode tool = JSON.createObjectNode().put("type", "function");
        ObjectNode fn = tool.putObject("function").put("name", name).put("description", description);
        ObjectNode params = fn.putObject("parameters").put("type", "object");
        ObjectNode props = params.putObject("properties");
        props.putObject(p1).put("type", t1).put("description", d1);
        props.putObject(p2).put("type", t2).put("description", d2);
        params.putArray("required").add(p1);
        return tool;
    }

    private static String slice(String s, int chars) {
        return s.substring(0, Math.min(s.length(), chars));
    }

    private static int firstChunkWith(List<String> chunks, int from, String m) {
        for (int i = from; i < chunks.size(); i++) {
            if (chunks.get(i).contains(m)) {
                return i;
            }
        }
        throw new IllegalStateException("corpus has no chunk with '" + m + "': is it the mixed corpus?");
    }
}
