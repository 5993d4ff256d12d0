"""A real SMTP server for the notice tests (issue 22, R52): aiosmtpd on
127.0.0.1:<port>, writing each accepted message as one JSON file into <dir>
(envelope, decoded headers, the text and HTML parts, attachments in base64).
Prints READY once listening; runs until killed.

    python smtp_sink.py <port> <dir>
"""

import base64
import email
import json
import os
import sys
import threading
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {name: str(value) for name, value in message.items()},
            "text": None,
            "html": None,
            "attachments": [],
        }
        for part in message.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if filename:
                record["attachments"].append(
                    {
                        "filename": filename,
                        "content_type": part.get_content_type(),
                        "base64": base64.b64encode(part.get_payload(decode=True)).decode(),
                    }
                )
            elif part.get_content_type() == "text/plain":
                record["text"] = part.get_content()
            elif part.get_content_type() == "text/html":
                record["html"] = part.get_content()
        with self.lock:
            self.count += 1
            path = os.path.join(self.out, "%05d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
