import logging

import structlog

# The simulator logs at debug level; tests keep the console quiet unless a warning.
structlog.configure(
    wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
)
