/// The report's script: reads `window.IMAGEPIPE_REPORT`, keeps the filters in the URL fragment
/// (`#stage=hero&status=failed&class=timeout&q=red`), and renders the matching items a screenful
/// at a time as the reader scrolls, so that 10,000 cards open as fast as 100.
enum ReportScript {
    static let source = #"""
    (function () {
      "use strict";
      var R = window.IMAGEPIPE_REPORT;
      var F = {};
      R.fields.forEach(function (name, i) { F[name] = i; });
      // Rows leave out their trailing empty fields; image paths are relative to the output folder.
      R.cards.forEach(function (card) {
        while (card.length < R.fields.length) card.push(null);
        if (card[F.thumb] === 1) card[F.thumb] = "thumbs/files/" + card[F.src] + ".webp";
        if (card[F.src] !== null) card[F.src] = R.image_prefix + card[F.src];
        if (card[F.earlier_src] !== null) card[F.earlier_src] = R.image_prefix + card[F.earlier_src];
      });
      var state = { stage: "", status: "", cls: "", change: "", q: "" };
      var CHUNK = 60;
      var groups = [];
      var rendered = 0;

      function $(id) { return document.getElementById(id); }
      function el(tag, attrs, children) {
        var node = document.createElement(tag);
        if (attrs) Object.keys(attrs).forEach(function (k) {
          if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) return;
          if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
        });
        (children || []).forEach(function (c) { if (c) node.appendChild(c); });
        return node;
      }
      function statusOf(card) { return R.statuses[card[F.status]]; }
      function classOf(card) { return card[F["class"]] === null ? "" : R.classes[card[F["class"]]]; }
      function stageOf(card) { return R.stages[card[F.stage]]; }

      function readHash() {
        var p = new URLSearchParams(location.hash.slice(1));
        state.stage = p.get("stage") || ""; state.status = p.get("status") || ""; state.cls = p.get("class") || "";
        state.change = p.get("change") || ""; state.q = p.get("q") || "";
      }
      function writeHash() {
        var p = new URLSearchParams();
        if (state.stage) p.set("stage", state.stage);
        if (state.status) p.set("status", state.status);
        if (state.cls) p.set("class", state.cls);
        if (state.change) p.set("change", state.change);
        if (state.q) p.set("q", state.q);
        var text = p.toString();
        history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
      }

      function matches(card) {
        if (state.stage && stageOf(card) !== state.stage) return false;
        if (state.status && statusOf(card) !== state.status) return false;
        if (state.cls && classOf(card) !== state.cls) return false;
        if (state.change && card[F.change] !== state.change) return false;
        if (state.q) {
          var q = state.q.toLowerCase();
          var hay = (card[F.key] + " " + (card[F.prompt] || "") + " " + (card[F.matrix] || "")).toLowerCase();
          if (hay.indexOf(q) < 0) return false;
        }
        return true;
      }

      // Variants of one item (same stage and key) side by side, in the cards' order (failures first).
      function group(cards) {
        var byId = {}, out = [];
        cards.forEach(function (card) {
          var id = card[F.stage] + "\u001f" + card[F.key];
          if (!byId[id]) { byId[id] = { stage: stageOf(card), key: card[F.key], cards: [] }; out.push(byId[id]); }
          byId[id].cards.push(card);
        });
        return out;
      }

      function money(v) { return v === null ? "" : "$" + (v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)); }
      function seconds(v) { return v < 60 ? v.toFixed(1) + " s" : Math.floor(v / 60) + " min " + Math.round(v % 60) + " s"; }

      function tile(card) {
        var status = statusOf(card);
        var src = card[F.src];
        var frame = src
          ? el("a", { href: src, target: "_blank", rel: "noopener", "class": "frame", title: "Open full size" }, [
              el("img", { src: card[F.thumb] || src, loading: "lazy", decoding: "async", alt: card[F.prompt] || card[F.key],
                          width: card[F.width], height: card[F.height] })])
          : el("div", { "class": "frame empty" }, [el("div", { "class": "none", text: status === "failed" ? "no image: failed" : "no image" })]);
        var label = [];
        if (card[F.variant] !== null) label.push("variant " + card[F.variant]);
        if (card[F.matrix]) label.push(card[F.matrix]);
        var meta = [];
        if (card[F.model] !== null) meta.push(R.models[card[F.model]]);
        if (card[F.provider] !== null) meta.push("via " + R.providers[card[F.provider]]);
        if (card[F.attempts] !== null) meta.push(card[F.attempts] + (card[F.attempts] === 1 ? " attempt" : " attempts"));
        if (card[F.latency_ms] !== null) meta.push(card[F.latency_ms] + " ms");
        if (card[F.cost_usd] !== null) meta.push(money(card[F.cost_usd]));
        if (card[F.width] !== null) meta.push(card[F.width] + "×" + card[F.height]);
        var children = [frame, el("div", {}, [
          el("span", { "class": "badge status", text: status }),
          card[F.change] ? el("span", { "class": "badge change", text: card[F.change] }) : null,
          label.length ? el("span", { "class": "meta", text: " " + label.join(" · ") }) : null])];
        if (status === "failed" || status === "skipped" || status === "cancelled") {
          children.push(el("div", { "class": "failure", text: (classOf(card) ? classOf(card) + ": " : "") + (card[F.message] || "") }));
        }
        if (card[F.prompt]) children.push(el("div", { "class": "prompt", text: card[F.prompt] }));
        if (meta.length) children.push(el("div", { "class": "meta", text: meta.join(" · ") }));
        // Only web addresses become links: a URL made from hostile data must not run script here.
        if (card[F.url]) {
          var web = /^https?:\/\//i.test(card[F.url]);
          children.push(el("div", { "class": "meta" }, [web ? el("a", { href: card[F.url], text: card[F.url], rel: "noopener" })
                                                          : el("span", { text: card[F.url] })]));
        }
        if (card[F.earlier_thumb] || card[F.earlier_src]) {
          children.push(el("div", { "class": "earlier" }, [document.createTextNode("before: "),
            el("img", { src: card[F.earlier_thumb] || card[F.earlier_src], loading: "lazy", alt: "the image before" })]));
        }
        return el("div", { "class": "tile s-" + status, "data-status": status, "data-key": card[F.key] }, children);
      }

      function item(g) {
        return el("article", { "class": "item", "data-stage": g.stage, "data-key": g.key }, [
          el("h2", {}, [el("span", { text: g.key }), el("span", { "class": "stage", text: g.stage })]),
          el("div", { "class": "variants" }, g.cards.map(tile))]);
      }

      function renderMore() {
        var main = $("cards"), end = Math.min(groups.length, rendered + CHUNK);
        var fragment = document.createDocumentFragment();
        for (var i = rendered; i < end; i++) fragment.appendChild(item(groups[i]));
        main.appendChild(fragment);
        rendered = end;
      }

      function apply() {
        var shown = R.cards.filter(matches);
        groups = group(shown);
        rendered = 0;
        $("cards").textContent = "";
        fill();
        $("shown").textContent = "showing " + shown.length + " of " + R.cards.length + (R.cards.length === 1 ? " card" : " cards");
        Array.prototype.forEach.call($("stages").children, function (b) { b.setAttribute("aria-selected", String(b.dataset.stage === state.stage)); });
        Array.prototype.forEach.call($("statuses").children, function (b) { b.setAttribute("aria-pressed", String(b.dataset.status === state.status)); });
        $("class").value = state.cls; $("change").value = state.change;
        if ($("search").value !== state.q) $("search").value = state.q;
      }

      // Render until the page is a screen (and a bit) past what is visible, or everything is shown.
      function fill() {
        while (rendered < groups.length && $("more").getBoundingClientRect().top < window.innerHeight + 800) renderMore();
      }

      function set(key, value) { state[key] = value; writeHash(); apply(); }

      function summary() {
        var s = R.summary, facts = [];
        Object.keys(s.counts).forEach(function (k) { facts.push([k, s.counts[k]]); });
        facts.push(["cost", money(s.cost_usd) + (s.budget_usd !== null ? " of " + money(s.budget_usd) + " budget" : "")]);
        if (s.seconds !== null) facts.push(["time", seconds(s.seconds)]);
        if (s.run) facts.push(["run", "#" + s.run]);
        if (s.compared_with) {
          facts.push(["compared with run", "#" + s.compared_with]);
          Object.keys(s.changes).forEach(function (k) { facts.push([k, s.changes[k]]); });
        }
        $("summary").appendChild(el("div", { "class": "facts" }, facts.map(function (f) {
          return el("span", {}, [document.createTextNode(f[0] + " "), el("b", { text: String(f[1]) })]);
        })));
      }

      function controls() {
        var perStage = {}, perStatus = {};
        R.cards.forEach(function (c) {
          perStage[stageOf(c)] = (perStage[stageOf(c)] || 0) + 1;
          perStatus[statusOf(c)] = (perStatus[statusOf(c)] || 0) + 1;
        });
        [""].concat(R.stages).forEach(function (stage) {
          var b = el("button", { role: "tab", "data-stage": stage, text: (stage || "all stages") + " (" + (stage ? perStage[stage] || 0 : R.cards.length) + ")" });
          b.dataset.stage = stage;
          b.addEventListener("click", function () { set("stage", stage); });
          $("stages").appendChild(b);
        });
        [""].concat(["failed", "skipped", "cancelled", "submitted", "succeeded", "cached"].filter(function (s) { return perStatus[s]; })).forEach(function (status) {
          var b = el("button", { "data-status": status, text: (status || "all") + (status ? " (" + perStatus[status] + ")" : "") });
          b.dataset.status = status;
          b.addEventListener("click", function () { set("status", status); });
          $("statuses").appendChild(b);
        });
        R.classes.forEach(function (c) { $("class").appendChild(el("option", { value: c, text: c })); });
        $("class").addEventListener("change", function () { set("cls", $("class").value); });
        if (R.summary.compared_with) {
          $("change").hidden = false;
          ["new", "regenerated", "unchanged", "removed"].forEach(function (c) { $("change").appendChild(el("option", { value: c, text: c })); });
          $("change").addEventListener("change", function () { set("change", $("change").value); });
        }
        var timer = null;
        $("search").addEventListener("input", function () {
          clearTimeout(timer);
          timer = setTimeout(function () { set("q", $("search").value.trim()); }, 120);
        });
      }

      summary();
      controls();
      readHash();
      apply();
      window.addEventListener("hashchange", function () { readHash(); apply(); });
      if ("IntersectionObserver" in window) {
        new IntersectionObserver(function (entries) {
          if (entries[0].isIntersecting) fill();
        }, { rootMargin: "800px" }).observe($("more"));
      }
      window.addEventListener("scroll", fill, { passive: true });
    })();
    """#
}
