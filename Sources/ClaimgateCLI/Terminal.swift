import ArgumentParser
import Claimgate
import Foundation
import JSONValues

/// Terminal output of the client commands: documents on stdout, problems and progress on stderr.
enum Terminal {
    /// A line on stderr.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Prints a failed call as `claimgate: <code>: <detail>` on stderr and exits non-zero:
    /// 1 for a problem the API answered, 69 (EX_UNAVAILABLE) when the service could not be reached.
    static func fail(_ error: any Error) -> ExitCode {
        let failure = error as? PartnerClientError ?? .invalidAnswer("\(error)")
        self.error("claimgate: \(failure.code): \(failure.detail)")
        if case .unreachable = failure { return ExitCode(69) }
        return ExitCode(1)
    }

    /// Rows under a header, columns padded to their widest cell.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `key  value` lines for the members of one document, in the order given (absent and null skipped).
    static func fields(_ document: JSONValue, _ keys: [String]) -> String {
        let present = keys.filter { document[$0] != nil && document[$0] != .null }
        let width = present.map(\.count).max() ?? 0
        return present.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + document[$0]!.text }
            .joined(separator: "\n")
    }
}
