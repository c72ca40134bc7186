# Masthead behind Varnish 7.1 (Debian 12: varnish + varnish-modules for vmod xkey).
#
# Whole reader pages are cached for as long as the app's s-maxage allows (a day) and dropped the
# moment a change commits: every page names what it shows in an `xkey` header, and the worker
# sends `PURGE /` with `xkey-purge: article-12 latest ...` to each node (docs/deploy.md).
#
# This file is used as is in production (deploy/systemd/varnish.service.d/masthead.conf) and as
# a template by masthead.core.localservices.render_vcl(), which rewrites the backend's `.host`
# and `.port`, the body of `acl purgers` and the `beresp.grace` line: keep those in this form.
vcl 4.1;

import std;
import xkey;

probe healthz {
    .url = "/healthz";   # the app's health check: 200 when it can reach its database
    .interval = 1s;
    .timeout = 2s;
    .window = 3;
    .threshold = 2;      # sick after two failed probes of the last three, healthy after two good
}

backend app {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = healthz;
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
}

# Who may PURGE: this machine and private networks (the worker runs on the app servers).
acl purgers {
    "127.0.0.1";
    "::1";
    "10.0.0.0"/8;
    "172.16.0.0"/12;
    "192.168.0.0"/16;
    "fc00::"/7;
}

sub vcl_recv {
    unset req.http.X-Masthead-Purged;

    # Grace: while the app is healthy, serve nothing more than 10 s past its TTL (and fetch a
    # fresh copy in the background); when it is sick, serve whatever we have (beresp.grace).
    if (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }

    if (req.method == "PURGE") {
        call masthead_purge;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);  # form posts (newsletter sign-up, admin): never cached
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # The admin (previews and drafts live under /admin/ too), documents (which may be private),
    # the newsletter's personal pages, the share form and the health check are never cached.
    if (req.url ~ "^/(admin|documents|newsletter|share)(/|\?|$)" || req.url ~ "^/healthz") {
        return (pass);
    }
    # A signed-in user (Django's session cookie) may see pages made for them: pass.
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Anyone else gets the shared copy: tracking and CSRF cookies must not split the cache.
    unset req.http.Cookie;
    set req.url = std.querysort(req.url);
    return (hash);
}

sub masthead_purge {
    # Refuse purges that came through a proxy (nginx in front adds X-Forwarded-For, so they
    # arrive from 127.0.0.1 too): only direct requests from the purgers ACL count.
    if (client.ip !~ purgers || req.http.X-Forwarded-For ~ ",") {
        return (synth(403, "Forbidden"));
    }
    if (req.http.xkey-purge) {
        # Hard purge: the objects are gone, the next request fetches a fresh page. (No BANs in
        # this VCL: their regexes split on whitespace and fail silently, PERFORMANCE.md.)
        set req.http.X-Masthead-Purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged"));
    }
    return (purge);  # no keys: purge this URL
}

sub vcl_hash {
    # The http and https copies of a page differ (absolute links); the TLS proxy says which.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    # s-maxage is for this cache only. Varnish has already turned it into beresp.ttl, so drop
    # it here, once per fetch, rather than on every hit in vcl_deliver.
    if (beresp.http.Cache-Control ~ "s-maxage") {
        set beresp.http.Cache-Control = regsub(
            regsuball(beresp.http.Cache-Control, "(,\s*)?s-maxage=[0-9]+", ""), "^\s*,\s*", "");
        if (beresp.http.Cache-Control == "") {
            unset beresp.http.Cache-Control;
        }
    }
    if (bereq.uncacheable) {
        return (deliver);  # a pass: nothing to store
    }
    # A background refresh that failed: keep serving the stale copy instead of the error.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    # Never store a response that sets a cookie or says it is private: remember for 2 minutes
    # not to wait for other requests of it (hit-for-miss; a cacheable answer replaces it).
    if (beresp.ttl <= 0s
        || beresp.http.Set-Cookie
        || beresp.http.Cache-Control ~ "(?i)(^|[\s,])(private|no-store|no-cache)"
        || beresp.http.Vary == "*") {
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # An error page names nothing to purge it by: keep it briefly (an article about to be
    # published must not stay a 404 for long).
    if (beresp.status >= 400 && !beresp.http.xkey && beresp.ttl > 10s) {
        set beresp.ttl = 10s;
    }
    # TTL: s-maxage (a day on reader pages), else max-age. Keep every object a day past it, for
    # when the app is down (see vcl_recv).
    set beresp.grace = 24h;
    # No do_gzip here: a client without Accept-Encoding would make Varnish gunzip the object
    # on every hit. The TLS front (deploy/nginx/masthead-tls.conf) compresses what it sends.
    return (deliver);
}

sub vcl_deliver {
    # What the page shows and how long proxies may keep it are Varnish's business only.
    # (s-maxage left the response when it was fetched: see vcl_backend_response.)
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

sub vcl_synth {
    if (req.http.X-Masthead-Purged) {
        set resp.http.X-Purged = req.http.X-Masthead-Purged;
    }
}
