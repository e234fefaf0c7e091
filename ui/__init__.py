"""The shopper web chat, the embeddable widget and HTTP API, and the support-agent console.

Gradio must never phone home: analytics are switched off before Gradio is imported anywhere in the package,
and the theme uses system fonts (no Google Fonts request from the browser).
"""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
