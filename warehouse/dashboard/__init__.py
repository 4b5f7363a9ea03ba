"""``gz-warehouse dashboard``: a live dashboard over the published parquet marts. Works offline.

It reads only ``$WAREHOUSE_DATA_DIR/marts/*.parquet`` (published after every ``dbt build``), so
it never holds the warehouse file and never blocks a build. The pages (``static/``) ask the
server for JSON and draw their charts with plotly.js, served from the installed ``plotly``
package, so nothing is fetched from the network.
"""

from warehouse.dashboard.marts import Marts
from warehouse.dashboard.server import serve

__all__ = ["Marts", "serve"]
