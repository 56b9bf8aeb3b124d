"""Design Mall: the commerce platform of a city design week."""
