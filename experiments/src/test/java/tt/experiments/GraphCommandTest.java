package tt.experiments;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * `tt graph` against golden files, so that a change to the step graph (a call added, moved or
 * relabelled, an operand's shape) is seen in review. After a change that is meant, regenerate them:
 * ./tt graph --preset tiny --vocab 64 --sentences 2 --len 6 --graph GRAPH > experiments/src/test/resources/tt/experiments/graph-tiny-GRAPH.txt
 * for GRAPH in train_step and decode_step.
 */
class GraphCommandTest {
    @Test
    void tinyTrainingStepAndDecodeStepMatchTheirGoldenFiles() throws IOException {
        for (String graph : List.of("train_step", "decode_step")) {
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            PrintStream stdout = System.out;
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = Main.commandLine().execute("graph", "--preset", "tiny", "--graph", graph, "--vocab", "64", "--sentences", "2", "--len", "6");
            } finally {
                System.setOut(stdout);
            }
            assertEquals(0, code);
            Path golden = Path.of("src/test/resources/tt/experiments/graph-tiny-" + graph + ".txt");
            assertEquals(Files.readString(golden), captured.toString(StandardCharsets.UTF_8), golden + " differs (see the class comment to regenerate)");
        }
    }
}
