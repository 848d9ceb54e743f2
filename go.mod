module github.com/longctx/longctx

go 1.26
