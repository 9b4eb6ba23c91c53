# Targets for Test-LvsRealServer, run inside a test's own network namespace (ip netns exec NS python3 THIS ...):
#   HTTP  on ADDR:8080  /health -> 200 "ok", /bad -> 503, /slow -> 200 after 2 s, anything else 404
#   HTTPS on ADDR:8443  the same, with the certificate and key given (skipped when none)
#   DNS   on ADDR:5353/udp  "ok.test" -> NOERROR with no records, "nx.test" -> NXDOMAIN, "silent.test" -> no answer
# Writes READY_FILE once every socket is bound, then serves until killed.
import http.server, socketserver, ssl, socket, struct, sys, threading

addr, ready_file = sys.argv[1], sys.argv[2]
cert = sys.argv[3] if len(sys.argv) > 3 else ""
key = sys.argv[4] if len(sys.argv) > 4 else ""

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            threading.Event().wait(2)
        status, body = {"/health": (200, b"ok"), "/bad": (503, b"down"), "/slow": (200, b"ok")}.get(self.path, (404, b"nope"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Host-Seen", self.headers.get("Host", ""))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the probe gave up first (its timeout)
    def log_message(self, *a):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

servers = [Server((addr, 8080), Handler)]
if cert:
    tls = Server((addr, 8443), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    servers.append(tls)

dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind((addr, 5353))

def qname(msg):
    labels, i = [], 12
    while msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode())
        i += 1 + msg[i]
    return ".".join(labels), i + 5

def serve_dns():
    while True:
        msg, peer = dns.recvfrom(4096)
        name, end = qname(msg)
        if name == "silent.test":
            continue
        rcode = 0 if name == "ok.test" else 3
        flags = 0x8000 | 0x0100 | 0x0080 | rcode  # QR, RD copied, RA, rcode
        dns.sendto(msg[:2] + struct.pack(">HHHHH", flags, 1, 0, 0, 0) + msg[12:end], peer)

for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Thread(target=serve_dns, daemon=True).start()
open(ready_file, "w").close()
threading.Event().wait()
