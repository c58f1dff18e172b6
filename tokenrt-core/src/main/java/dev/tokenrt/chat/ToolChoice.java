package dev.tokenrt.chat;

import java.util.Objects;

/** How the model may use tools. */
public sealed interface ToolChoice {
    record Auto() implements ToolChoice {
    }

    record None() implements ToolChoice {
    }

    /** The model must call some tool (OpenAI {@code required}, Anthropic {@code any}, Gemini {@code ANY}). */
    record Required() implements ToolChoice {
    }

    record Named(String name) implements ToolChoice {
        public Named {
            Objects.requireNonNull(name, "name");
        }
    }
}
