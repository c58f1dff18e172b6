package dev.tokenrt.pricing;

import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The header of a catalog file: which schema it follows, when it was generated and from which public
 * catalogs, so that a cost report can say how old its prices are.
 *
 * @param schemaVersion the catalog file format version
 * @param generated     the day the builder ran (also the "as of" day for dated price changes)
 * @param sources       the public catalogs it was built from
 */
public record CatalogInfo(int schemaVersion, LocalDate generated, List<Source> sources) {

    public CatalogInfo {
        Objects.requireNonNull(generated, "generated");
        sources = List.copyOf(sources);
    }

    /**
     * One upstream catalog.
     *
     * @param name      {@code litellm} or {@code genai-prices}: the value prices carry in {@link Price#source()}
     * @param project   where it is published (owner/repository)
     * @param license   its licence
     * @param date      the date of the copy used
     * @param dateBasis how that date was established (a field in the file, a commit, or the file's mtime)
     * @param commit    the upstream commit, when known
     * @param sha256    digest of the input file(s), so a rebuild can be checked against the same input
     */
    public record Source(String name, String project, String license, LocalDate date, String dateBasis,
                         Optional<String> commit, String sha256) {

        public Source {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(project, "project");
            Objects.requireNonNull(license, "license");
            Objects.requireNonNull(date, "date");
            Objects.requireNonNull(dateBasis, "dateBasis");
            Objects.requireNonNull(commit, "commit");
            Objects.requireNonNull(sha256, "sha256");
        }
    }
}
