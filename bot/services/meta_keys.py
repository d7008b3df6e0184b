"""Keys the services keep in the database's app_meta table, in a module of their own so that
start-up can read them without importing the services that write them."""

SAMPLE_META_KEY = "sample_data_loaded"  # set once the bundled sample data is in the database
