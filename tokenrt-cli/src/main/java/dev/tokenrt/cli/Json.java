package dev.tokenrt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading inputs and writing JSON for the CLI, with errors that name the file and the problem. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }

    static String readText(Path path) {
        if (path.toString().equals("-")) {
            return readStdin();
        }
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CliError("cannot read " + path + ": no such file");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CliError("cannot read " + path + ": not UTF-8 text");
        } catch (IOException e) {
            throw new CliError("cannot read " + path + ": " + e.getMessage());
        }
    }

    static String readStdin() {
        try (InputStream in = System.in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliError("cannot read standard input: " + e.getMessage());
        }
    }

    static JsonNode parse(String text, String what) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new CliError(what + ": empty, expected JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new CliError(what + ": malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        }
    }

    static JsonNode readJson(Path path) {
        return parse(readText(path), path.toString().equals("-") ? "standard input" : path.toString());
    }

    static String compact(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
