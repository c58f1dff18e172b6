package dev.tokenrt.bench.load;

import dev.tokenrt.bench.load.CompareBench.Kind;
import dev.tokenrt.bench.load.CompareBench.Path3;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's picture: per scenario, the p50 and p99 latency each gateway adds against the offered rate (log
 * scale), one panel for the throughput each path achieved on non-streamed small prompts, and, after a soak, the
 * gateway's memory over time. Drawn with JFreeChart, headless.
 */
final class LatencyPlot {

    private static final int W = 640;
    private static final int H = 420;
    private static final Color[] COLORS = {new Color(0x55, 0x55, 0x55), new Color(0x1f, 0x77, 0xb4),
            new Color(0x2c, 0xa0, 0x2c), new Color(0xd6, 0x27, 0x28)};

    private LatencyPlot() {
    }

    static void write(CompareReport report, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<JFreeChart> charts = new ArrayList<>();
        for (Kind k : report.kinds()) {
            charts.add(added(report, k));
        }
        if (report.kinds().contains(Kind.CHAT)) {
            charts.add(throughput(report, Kind.CHAT));
        }
        report.soak().ifPresent(s -> charts.add(memory(s)));
        int cols = Math.min(2, charts.size());
        int rowsN = (charts.size() + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * W, rowsN * H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i).draw(g, new java.awt.Rectangle((i % cols) * W, (i / cols) * H, W, H));
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static JFreeChart added(CompareReport report, Kind k) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<Path3> shown = new ArrayList<>();
        for (Path3 p : report.paths()) {
            if (p == Path3.DIRECT) {
                continue;
            }
            XYSeries p50 = new XYSeries(p.label + " p50");
            XYSeries p99 = new XYSeries(p.label + " p99");
            for (double rate : report.rates(k)) {
                Optional<CompareReport.Cell> c = report.cell(k, p, rate);
                Optional<LoadResult.Percentiles> a = c.flatMap(x -> k.stream ? x.firstChunkAdded() : x.added());
                if (a.isPresent()) {
                    // A log axis cannot show zero or less: a path that added nothing measurable is drawn at 10 µs.
                    p50.add(rate, Math.max(0.01, a.get().p50() / 1000.0));
                    p99.add(rate, Math.max(0.01, a.get().p99() / 1000.0));
                }
            }
            data.addSeries(p50);
            data.addSeries(p99);
            shown.add(p);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(k.label + ": " + (k.stream ? "first chunk" : "latency")
                + " added over direct", "offered requests/s", "added ms (log)", data, PlotOrientation.VERTICAL, true,
                false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis y = new LogAxis("added ms (log)");
        y.setSmallestValue(0.01);
        y.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
        plot.setRangeAxis(y);
        style(plot, shown.size(), true);
        return chart;
    }

    private static JFreeChart throughput(CompareReport report, Kind k) {
        XYSeriesCollection data = new XYSeriesCollection();
        int n = 0;
        for (Path3 p : report.paths()) {
            XYSeries s = new XYSeries(p.label);
            for (double rate : report.rates(k)) {
                report.cell(k, p, rate).ifPresent(c -> s.add(rate, c.okPerSecond()));
            }
            data.addSeries(s);
            n++;
        }
        JFreeChart chart = ChartFactory.createXYLineChart(k.label + ": throughput achieved", "offered requests/s",
                "answered requests/s", data, PlotOrientation.VERTICAL, true, false, false);
        style(chart.getXYPlot(), n, false);
        return chart;
    }

    private static JFreeChart memory(Soak.Result s) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYSeries rss = new XYSeries("RSS");
        s.rss().forEach(p -> rss.add(p.minutes(), p.mib()));
        XYSeries heap = new XYSeries("heap after GC");
        s.heapAfterGc().forEach(p -> heap.add(p.minutes(), p.mib()));
        data.addSeries(rss);
        data.addSeries(heap);
        JFreeChart chart = ChartFactory.createXYLineChart("soak: tokenrt-full memory at " + CompareReport.fmtRate(s.rate())
                + "/s", "minutes", "MiB", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, COLORS[1]);
        r.setSeriesPaint(1, COLORS[2]);
        plot.setRenderer(r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return chart;
    }

    /** One colour a path; with pairs (p50, p99) the p99 line is dashed. */
    private static void style(XYPlot plot, int paths, boolean pairs) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        int series = pairs ? paths * 2 : paths;
        for (int i = 0; i < series; i++) {
            int path = pairs ? i / 2 : i;
            // With pairs the direct path is not drawn, so colours start at the gateways'.
            r.setSeriesPaint(i, COLORS[Math.min(COLORS.length - 1, pairs ? path + 1 : path)]);
            if (pairs && i % 2 == 1) {
                r.setSeriesStroke(i, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
                        new float[] {6f, 4f}, 0f));
            } else {
                r.setSeriesStroke(i, new BasicStroke(2f));
            }
        }
        plot.setRenderer(r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    }
}
