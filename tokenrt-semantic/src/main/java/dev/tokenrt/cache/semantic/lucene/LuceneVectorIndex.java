package dev.tokenrt.cache.semantic.lucene;

import dev.tokenrt.cache.semantic.VectorIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The embedded vector index: Lucene's HNSW graph in a directory on disk, one process at a time (Lucene's write lock
 * refuses a second writer with a clear error).
 *
 * <p>Each entry is a document with its id, partition and expiry; its vector goes into a {@link KnnFloatVectorField}
 * named after its dimension ({@code vector_384}), so one index holds the vectors of models of different dimensions.
 * A search is a {@link KnnFloatVectorQuery} filtered to the partition and to entries not yet expired: Lucene
 * applies the filter during the graph search (and searches exactly when the filter leaves few documents), so a
 * small partition in a large index still gets its true nearest neighbours.
 *
 * <p><b>Near-real-time.</b> A search after a write reopens the reader first (Lucene's {@link SearcherManager} over
 * the writer, no commit needed), so an entry is found from the next lookup on. Adds and searches are safe from many
 * threads: the writer and the searcher manager are.
 *
 * <p><b>Durability.</b> Entries are committed by {@link #commit()}, {@link #sweep(Instant)} and {@link #close()};
 * after a crash the index reopens at its last commit, which for a cache only means a few misses.
 */
public final class LuceneVectorIndex implements VectorIndex {

    private static final String ID = "id";
    private static final String PARTITION = "partition";
    private static final String EXPIRES = "expires_at";
    private static final String VECTOR_PREFIX = "vector_";

    private final Path path;
    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    /** Writes made, and writes the current searcher is known to see: a search refreshes when they differ. */
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong visible = new AtomicLong();

    private LuceneVectorIndex(Path path, Directory directory, IndexWriter writer) throws IOException {
        this.path = path;
        this.directory = directory;
        this.writer = writer;
        this.searchers = new SearcherManager(writer, null);
    }

    /**
     * Opens (or creates) the index in {@code directory}.
     *
     * @throws UncheckedIOException when the directory cannot be opened, or another process holds its write lock
     */
    public static LuceneVectorIndex open(Path directory) {
        Objects.requireNonNull(directory, "directory");
        Directory dir = null;
        try {
            dir = FSDirectory.open(directory);
            IndexWriterConfig config = new IndexWriterConfig()
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setRAMBufferSizeMB(64);
            return new LuceneVectorIndex(directory, dir, new IndexWriter(dir, config));
        } catch (IOException e) {
            if (dir != null) {
                try {
                    dir.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new UncheckedIOException("cannot open the Lucene vector index at " + directory.toAbsolutePath()
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void add(String partition, String id, float[] vector, Instant expiresAt) {
        VectorIndex.requireEntry(partition, id, vector, expiresAt);
        Document doc = new Document();
        doc.add(new StringField(ID, id, Field.Store.YES));
        doc.add(new StringField(PARTITION, partition, Field.Store.NO));
        doc.add(new LongPoint(EXPIRES, expiresAt.toEpochMilli()));
        doc.add(new StoredField(EXPIRES, expiresAt.toEpochMilli()));
        // Unit vectors: the dot product is the cosine, and Lucene's DOT_PRODUCT is its fastest similarity.
        doc.add(new KnnFloatVectorField(VECTOR_PREFIX + vector.length, vector, VectorSimilarityFunction.DOT_PRODUCT));
        try {
            writer.updateDocument(new Term(ID, id), doc);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot add to the vector index at " + path, e);
        }
        writes.incrementAndGet();
    }

    @Override
    public List<Neighbour> search(String partition, float[] vector, int k, Instant now) {
        VectorIndex.requireSearch(partition, vector, k, now);
        Query filter = new BooleanQuery.Builder()
                .add(new TermQuery(new Term(PARTITION, partition)), BooleanClause.Occur.FILTER)
                .add(LongPoint.newRangeQuery(EXPIRES, now.toEpochMilli() + 1, Long.MAX_VALUE), BooleanClause.Occur.FILTER)
                .build();
        return withSearcher(searcher -> {
            TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR_PREFIX + vector.length, vector, k, filter), k);
            StoredFields stored = searcher.storedFields();
            List<Neighbour> out = new ArrayList<>(top.scoreDocs.length);
            for (ScoreDoc d : top.scoreDocs) {
                // Lucene scores DOT_PRODUCT as (1 + dot) / 2; the SPI speaks cosine.
                out.add(new Neighbour(stored.document(d.doc).get(ID), 2 * d.score - 1));
            }
            return out;
        });
    }

    @Override
    public boolean remove(String id) {
        Objects.requireNonNull(id, "id");
        return delete(new TermQuery(new Term(ID, id))) > 0;
    }

    @Override
    public long removePartitions(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return delete(new PrefixQuery(new Term(PARTITION, prefix)));
    }

    @Override
    public long sweep(Instant now) {
        long n = delete(LongPoint.newRangeQuery(EXPIRES, Long.MIN_VALUE, now.toEpochMilli()));
        commit();
        return n;
    }

    /** Deletes what {@code query} matches; returns how many it matched (under concurrent writes, an estimate). */
    private long delete(Query query) {
        long count = withSearcher(searcher -> (long) searcher.count(query));
        if (count == 0) {
            return 0;
        }
        try {
            writer.deleteDocuments(query);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete from the vector index at " + path, e);
        }
        writes.incrementAndGet();
        return count;
    }

    @Override
    public long size() {
        return withSearcher(searcher -> (long) searcher.getIndexReader().numDocs());
    }

    /** Makes every entry added so far survive a crash. */
    public void commit() {
        try {
            writer.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit the vector index at " + path, e);
        }
    }

    private interface SearcherCall<T> {
        T apply(IndexSearcher searcher) throws IOException;
    }

    private <T> T withSearcher(SearcherCall<T> call) {
        try {
            long wanted = writes.get();
            if (visible.get() < wanted) {
                // Blocks for a refresh begun after this point, so it sees every write counted in wanted.
                searchers.maybeRefreshBlocking();
                visible.accumulateAndGet(wanted, Math::max);
            }
            IndexSearcher searcher = searchers.acquire();
            try {
                return call.apply(searcher);
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot search the vector index at " + path, e);
        }
    }

    /** Commits and closes the index. */
    @Override
    public void close() {
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the vector index at " + path, e);
        }
    }

    @Override
    public String toString() {
        return "LuceneVectorIndex[" + path + "]";
    }
}
