package dev.tokenrt.chat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PartTest {

    @Test
    void charsCountEveryStringOfEveryKindOfPart() {
        assertThat(new Part.Text("héllo").chars()).isEqualTo(5);
        assertThat(new Part.Image("https://x/y.png", "low").chars()).isEqualTo(15 + 3);
        assertThat(new Part.ToolCall("call_1", "lookup", "{\"q\":1}").chars()).isEqualTo(6 + 6 + 7);
        assertThat(new Part.ToolResult("call_1", "42 °C", true).chars()).isEqualTo(6 + 5);
        assertThat(new Part.Thinking("hmm", "EqQB").chars()).isEqualTo(3 + 4);
        assertThat(new Part.Text("😀").chars()).as("UTF-16 units, as String.length").isEqualTo(2);
    }
}
