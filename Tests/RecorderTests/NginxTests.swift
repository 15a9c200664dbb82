import Foundation
import Glibc
import LogFormat
import TestSupport
import Testing

/// nginx (nginx-light from the distribution; .ci/run installs it) as a real multi-process
/// server: a master and two workers, `sendfile on`, serving static files under a bounded curl
/// load, stopped with SIGQUIT to the master. The replay, which has no clients (accepts and reads
/// return the recorded results), exits as recorded and writes the same access and error logs:
/// the logs carry the recorded pids, times and the workers' order of requests.
@Suite(.serialized) struct NginxTests {
    /// The configuration: everything nginx writes goes under `root`.
    static func configuration(root: String, port: Int) -> String {
        """
        worker_processes 2;
        daemon off;
        master_process on;
        pid \(root)/nginx.pid;
        error_log \(root)/logs/error.log notice;
        events { worker_connections 64; }
        http {
            access_log \(root)/logs/access.log;
            sendfile on;
            client_body_temp_path \(root)/body;
            proxy_temp_path \(root)/proxy;
            fastcgi_temp_path \(root)/fastcgi;
            uwsgi_temp_path \(root)/uwsgi;
            scgi_temp_path \(root)/scgi;
            server {
                listen 127.0.0.1:\(port);
                root \(root)/html;
            }
        }

        """
    }

    @Test func nginxReplaysToTheSameLogs() throws {
        let nginx = try RealProgramTests.tool("nginx", in: "/usr/sbin"), curl = try RealProgramTests.tool("curl")
        _ = Recording.layer
        let dir = TemporaryDirectory()
        let root = dir.path
        // The workers run as nobody: they must reach the files (the directory is made 0700).
        #expect(chmod(root, 0o755) == 0)
        let port = TestPort.number(11)
        for sub in ["html", "logs"] {
            try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        }
        try Data("hello from nginx\n".utf8).write(to: URL(fileURLWithPath: root + "/html/index.html"))
        var state: UInt64 = 0x9E37_79B9
        let big = (0..<300_000).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        try Data(big).write(to: URL(fileURLWithPath: root + "/html/big.bin"))
        for i in 1...3 {
            let lines = (1...(i * 2000)).map(String.init).joined(separator: "\n") + "\n"
            try Data(lines.utf8).write(to: URL(fileURLWithPath: root + "/html/file\(i).txt"))
        }
        try Data(Self.configuration(root: root, port: port).utf8).write(to: URL(fileURLWithPath: root + "/nginx.conf"))

        // Sequential requests (with a 404 among them), then four clients at once; SIGQUIT to the
        // master (a graceful stop: the workers finish, the master reaps them and exits 0).
        let script = """
            cd '\(root)'
            '\(Recording.replrec)' -q --log-dir log -- '\(nginx)' -p '\(root)' -c '\(root)/nginx.conf' > rec.out 2> rec.err &
            recorder=$!
            for i in $(seq 100); do '\(curl)' -s -o /dev/null http://127.0.0.1:\(port)/ && break; sleep 0.1; done
            for i in $(seq 20); do
                for f in index.html file1.txt file2.txt file3.txt big.bin missing; do
                    '\(curl)' -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:\(port)/$f >> codes
                done
            done
            clients=""
            for j in 1 2 3 4; do
                ( for i in $(seq 10); do '\(curl)' -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:\(port)/big.bin; done >> codes.$j ) &
                clients="$clients $!"
            done
            wait $clients
            kill -QUIT $(cat nginx.pid)
            wait $recorder
            echo "record $?"
            cp logs/access.log access.recorded; cp logs/error.log error.recorded
            : > logs/access.log; : > logs/error.log
            '\(Recording.logtool)' verify log > /dev/null 2>&1
            echo "verify $?"
            '\(Recording.replplay)' -q --watchdog 10 log > play.out 2> play.err
            echo "replay $?"
            cat codes codes.* | sort | uniq -c | awk '{print $2 " " $1}'
            """
        let result = try runProgram(try Recording.fixture("unblocked"), ["/bin/bash", "-c", script])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let errors = (try? String(contentsOfFile: dir.appending("play.err"), encoding: .utf8)) ?? ""
        #expect(lines.prefix(3) == ["record 0", "verify 0", "replay 0"], "\(result.stdout) \(result.stderr) \(errors)")
        #expect(Array(lines.dropFirst(3)) == ["200 140", "404 20"], "\(result.stdout)")

        let recordedAccess = try String(contentsOfFile: dir.appending("access.recorded"), encoding: .utf8)
        let recordedErrors = try String(contentsOfFile: dir.appending("error.recorded"), encoding: .utf8)
        #expect(recordedAccess.split(separator: "\n").count == 161)
        #expect(recordedErrors.contains("start worker process"))
        #expect(recordedErrors.contains("signal 3 (SIGQUIT) received"))
        #expect(try String(contentsOfFile: dir.appending("logs/access.log"), encoding: .utf8) == recordedAccess,
                "the replayed access log differs")
        #expect(try String(contentsOfFile: dir.appending("logs/error.log"), encoding: .utf8) == recordedErrors,
                "the replayed error log differs")

        let summary = LogSummary.scan(directory: .init(dir.appending("log")), detailed: true)
        #expect(summary.problem == nil)
        #expect(summary.byProcess.count == 3, "a master and two workers")
        #expect(summary.byKind[MessageKind(name: "sendfile")!, default: 0] >= 100, "the static files went out with sendfile")
        #expect(summary.byKind[.accept, default: 0] >= 161)
        #expect(summary.byKind[.signal, default: 0] >= 1)
    }
}
