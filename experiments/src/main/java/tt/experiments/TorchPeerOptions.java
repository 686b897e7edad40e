package tt.experiments;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The options of a benchmark that can run its PyTorch peer beside ours (bench step, bench decode), and what they decide. */
final class TorchPeerOptions {
    @Option(names = "--vs-torch", description = "Also run the PyTorch peer on the same work, alternating rounds with ours so both see the same load.")
    boolean vsTorch;

    @Option(names = "--python", defaultValue = "python3", description = "With --vs-torch: the Python that has torch (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--torch-device", defaultValue = "cpu", description = "With --vs-torch: the peer's device, cpu or cuda (default: ${DEFAULT-VALUE}).")
    String torchDevice;

    @Option(names = "--out", defaultValue = "results/bench", description = "With --vs-torch: where the comparison's CSV and plot go (default: ${DEFAULT-VALUE}).")
    Path out;

    /**
     * The peer to run with, if --vs-torch asked for one and {@code python} imports torch and
     * {@code modules}; otherwise null, having said why ours is timed alone.
     */
    TorchPeer.Availability peer(String... modules) {
        if (!vsTorch) return null;
        TorchPeer.Availability a = TorchPeer.check(python, modules);
        if (a.ok()) return a;
        System.out.println(a.message() + "; timing ours alone");
        return null;
    }

    /** Writes the rounds to OUT/STEM.csv with its plot, and says where. */
    void write(List<TorchPeer.Round> rounds, String stem, String caseColumn, String title, String unit) throws IOException {
        TorchPeer.write(rounds, out, stem, caseColumn, title, unit);
        System.out.println("wrote " + out.resolve(stem + ".csv") + " and " + stem + ".png/.svg");
    }
}
