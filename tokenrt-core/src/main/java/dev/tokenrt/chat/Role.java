package dev.tokenrt.chat;

/** Who speaks a message. OpenAI's {@code developer} role maps to {@link #SYSTEM}. */
public enum Role {
    SYSTEM, USER, ASSISTANT, TOOL
}
