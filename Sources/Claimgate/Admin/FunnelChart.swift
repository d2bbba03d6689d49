import Storage

/// The claim funnel as an inline SVG bar chart: one bar per step, its count and its share of the
/// databases provisioned. Colours come from the page's stylesheet (classes), so the chart follows
/// dark mode; the numbers are text, and the same figures are in a table for screen readers.
enum FunnelChart {
    static let width = 320
    static let rowHeight = 46

    static func steps(_ funnel: AdminQueries.Funnel) -> [(label: String, count: Int)] {
        [("Provisioned", funnel.provisioned), ("Link opened", funnel.opened), ("Claim started", funnel.started), ("Claimed", funnel.claimed)]
    }

    /// "60%" of the provisioned databases ("–" when there were none).
    static func share(_ count: Int, of total: Int) -> String {
        total > 0 ? "\(Int((Double(count) * 100 / Double(total)).rounded()))%" : "–"
    }

    static func svg(_ funnel: AdminQueries.Funnel, id: String, period: String) -> String {
        let rows = steps(funnel)
        let height = rows.count * rowHeight
        let total = funnel.provisioned
        var body = """
            <svg class="chart" viewBox="0 0 \(width) \(height)" role="img" aria-labelledby="\(id)-title \(id)-desc" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-title">Claim funnel, \(PageFrame.escape(period))</title>
            <desc id="\(id)-desc">\(rows.map { "\($0.label): \($0.count)" }.joined(separator: ", ")).</desc>

            """
        for (index, row) in rows.enumerated() {
            let y = index * rowHeight
            let barWidth = total > 0 ? max(row.count > 0 ? 3 : 0, Int((Double(row.count) / Double(total) * Double(width)).rounded())) : 0
            body += """
                <text class="label" x="0" y="\(y + 15)">\(row.label)</text>
                <text class="value" x="\(width)" y="\(y + 15)" text-anchor="end">\(row.count) · \(share(row.count, of: total))</text>
                <rect class="track" x="0" y="\(y + 22)" width="\(width)" height="16" rx="4"/>
                <rect class="bar" x="0" y="\(y + 22)" width="\(barWidth)" height="16" rx="4"/>

                """
        }
        return body + "</svg>"
    }

    static func table(_ funnel: AdminQueries.Funnel, period: String) -> String {
        let rows = steps(funnel).map {
            "<tr><th scope=\"row\">\($0.label)</th><td>\($0.count)</td><td>\(share($0.count, of: funnel.provisioned))</td></tr>"
        }
        return """
            <details><summary>Figures</summary><table><caption>Claim funnel, \(PageFrame.escape(period))</caption>
            <thead><tr><th scope="col">Step</th><th scope="col">Databases</th><th scope="col">Of provisioned</th></tr></thead>
            <tbody>\(rows.joined())</tbody></table></details>
            """
    }
}
