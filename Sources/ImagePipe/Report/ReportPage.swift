/// The report's page and style sheet: a shell the script fills from `data.js`.
enum ReportPage {
    static func html(title: String) -> String {
        let title = escape(title)
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · imagepipe report</title>
        <link rel="stylesheet" href="report.css">
        </head>
        <body>
        <header id="summary"><h1>\(title)</h1></header>
        <nav id="stages" aria-label="Stages"></nav>
        <section id="controls" aria-label="Filters">
          <div id="statuses" role="group" aria-label="Status"></div>
          <select id="class" aria-label="Failure class"><option value="">every failure class</option></select>
          <select id="change" aria-label="Change" hidden><option value="">every change</option></select>
          <input id="search" type="search" placeholder="Search keys and prompts" aria-label="Search keys and prompts">
          <span id="shown" aria-live="polite"></span>
        </section>
        <main id="cards"></main>
        <div id="more"></div>
        <noscript>This report needs JavaScript to list its cards; the images are in the output folder.</noscript>
        <script src="data.js"></script>
        <script src="report.js"></script>
        </body>
        </html>

        """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let css = """
    :root { --bg: #f6f6f4; --card: #fff; --ink: #1d1d1f; --muted: #6b6b70; --line: #e2e2de; --accent: #3451b2;
            --failed: #c0362c; --skipped: #9a6a00; --succeeded: #2e7d32; --cached: #5b6b7a; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
    header#summary { padding: 16px 24px 8px; }
    h1 { margin: 0 0 6px; font-size: 20px; }
    .facts { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); }
    .facts b { color: var(--ink); }
    nav#stages { display: flex; gap: 4px; padding: 0 24px; border-bottom: 1px solid var(--line); overflow-x: auto; }
    nav#stages button { border: 0; background: none; padding: 8px 12px; font: inherit; cursor: pointer; border-bottom: 2px solid transparent; }
    nav#stages button[aria-selected="true"] { border-bottom-color: var(--accent); font-weight: 600; }
    section#controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 10px 24px; position: sticky; top: 0;
                       background: var(--bg); z-index: 1; border-bottom: 1px solid var(--line); }
    #statuses button { font: inherit; padding: 4px 10px; border: 1px solid var(--line); border-radius: 14px; background: var(--card); cursor: pointer; }
    #statuses button[aria-pressed="true"] { background: var(--ink); color: #fff; border-color: var(--ink); }
    select, input[type=search] { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--card); }
    input[type=search] { min-width: 240px; }
    #shown { color: var(--muted); margin-left: auto; }
    main#cards { padding: 16px 24px; display: flex; flex-wrap: wrap; align-items: flex-start; gap: 14px; }
    article.item { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; }
    article.item h2 { font-size: 14px; margin: 0 0 8px; display: flex; gap: 8px; align-items: baseline; }
    article.item h2 .stage { color: var(--muted); font-weight: normal; }
    .variants { display: flex; flex-wrap: wrap; gap: 12px; }
    .tile { width: 236px; }
    .tile .frame { width: 236px; height: 236px; display: flex; align-items: center; justify-content: center; background: #eeeeea;
                   border-radius: 6px; overflow: hidden; }
    .tile .frame.empty { height: 56px; }
    .tile img { max-width: 100%; max-height: 100%; object-fit: contain; }
    .tile .none { color: var(--muted); padding: 8px; text-align: center; }
    .badge { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 8px; color: #fff; background: var(--muted); }
    .s-failed .badge.status { background: var(--failed); } .s-succeeded .badge.status { background: var(--succeeded); }
    .s-skipped .badge.status, .s-cancelled .badge.status { background: var(--skipped); } .s-cached .badge.status { background: var(--cached); }
    .badge.change { background: var(--accent); }
    .meta { color: var(--muted); font-size: 12px; margin-top: 4px; word-break: break-word; }
    .prompt { font-size: 12px; margin-top: 4px; word-break: break-word; }
    .failure { color: var(--failed); font-size: 12px; margin-top: 4px; word-break: break-word; }
    .earlier { font-size: 12px; margin-top: 4px; }
    .earlier img { width: 72px; height: 72px; object-fit: contain; vertical-align: middle; background: #eeeeea; }
    #more { height: 1px; }
    """
}
