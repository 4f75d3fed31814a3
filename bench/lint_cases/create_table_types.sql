-- A new table with the column types squawk's style rules dislike.
CREATE TABLE countries (
    id         serial PRIMARY KEY,
    code       char(2) NOT NULL,
    name       varchar(100) NOT NULL,
    population int,
    created_at timestamp NOT NULL DEFAULT now()
);
