package dev.tokenrt.budget;

/**
 * A budget with this id exists already. Its own type so that the admin API can answer 409 (and a caller who
 * meant to change the budget can replace it instead) without parsing a message.
 */
public final class DuplicateBudgetException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String id;

    public DuplicateBudgetException(String id) {
        super("a budget with id '" + id + "' already exists");
        this.id = id;
    }

    public String id() {
        return id;
    }
}
