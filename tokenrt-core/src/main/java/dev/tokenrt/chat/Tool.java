package dev.tokenrt.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/** A function the model may call: its name, description and JSON-schema parameters. */
public record Tool(String name, String description, JsonNode parameters) {
    public Tool {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
    }
}
