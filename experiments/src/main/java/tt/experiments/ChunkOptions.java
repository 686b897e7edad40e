package tt.experiments;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** How many sentences the commands that translate a whole file (translate, bench decode) decode together. */
final class ChunkOptions {
    @Option(names = "--max-tokens", defaultValue = "4096", description = "Decoder positions per chunk of sentences, beams included (fairseq's "
            + "--max-tokens): larger chunks decode faster and take more memory (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    void check(CommandSpec spec) {
        if (maxTokens < 1) throw new ParameterException(spec.commandLine(), "--max-tokens must be at least 1, got " + maxTokens);
    }
}
