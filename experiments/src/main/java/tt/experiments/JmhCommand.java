package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;
import tt.experiments.bench.GemmBenchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** JMH with this build's benchmarks; forks get the Vector API and native access from each benchmark's @Fork. */
@Command(name = "jmh", description = {"Run JMH benchmarks; every argument goes to JMH (./tt jmh -h lists them).",
        "e.g. ./tt jmh GemmBenchmark -rf csv -rff results/bench/gemm-jmh.csv, then ./tt jmh --gemm-table results/bench/gemm-jmh.csv"})
public final class JmhCommand implements Callable<Integer> {
    @Option(names = "--help", usageHelp = true, description = "Show this help message and exit (-h goes to JMH).")
    boolean help;

    @Option(names = "--gemm-table", paramLabel = "CSV", description = "Print the GFLOP/s table of a GemmBenchmark CSV result file instead of running.")
    Path gemmTable;

    @Unmatched List<String> jmhArgs = new ArrayList<>();

    @Override public Integer call() throws Exception {
        if (gemmTable != null) {
            System.out.print(GemmBenchmark.table(gemmTable));
        } else {
            org.openjdk.jmh.Main.main(jmhArgs.toArray(String[]::new));
        }
        return 0;
    }
}
