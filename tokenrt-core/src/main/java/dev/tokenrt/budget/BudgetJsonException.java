package dev.tokenrt.budget;

import java.util.Objects;

/**
 * A budget's JSON is wrong in one field: carries the parameter at fault ({@code limit}, {@code budgets[2].period})
 * so an HTTP face can answer 400 naming it, as OpenAI's error JSON does with {@code param}.
 */
public final class BudgetJsonException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The code for a field the budget JSON does not know. */
    public static final String UNKNOWN_PARAMETER = "unknown_parameter";
    /** The code for a field with a wrong value (or a required field left out). */
    public static final String INVALID_VALUE = "invalid_value";

    private final String param;
    private final String code;

    public BudgetJsonException(String param, String message, String code) {
        super(message);
        this.param = Objects.requireNonNull(param, "param");
        this.code = Objects.requireNonNull(code, "code");
    }

    public BudgetJsonException(String param, String message) {
        this(param, message, INVALID_VALUE);
    }

    /** The field at fault, e.g. {@code limit} or {@code budgets[0].warn_at}; {@code ""} for the body as a whole. */
    public String param() {
        return param;
    }

    /** {@link #INVALID_VALUE} or {@link #UNKNOWN_PARAMETER}, or {@code invalid_json} for a body that is no object. */
    public String code() {
        return code;
    }

    /** The same fault with the parameter placed inside {@code prefix} ({@code budgets[2]} + {@code limit}). */
    BudgetJsonException within(String prefix) {
        String p = param.isEmpty() ? prefix : prefix + "." + param;
        return new BudgetJsonException(p, getMessage().replace("'" + param + "'", "'" + p + "'"), code);
    }
}
